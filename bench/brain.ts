// `npm run bench:brain`: retrieval latency (HNSW vs exact) at 1k/10k/50k rows, embedding latency, and the brain's
// time to first delta over NATS vs in-process. Real PGlite + pgvector through pg, real USE-lite embeddings.
//
//   npm run bench:brain                    all three parts (≈ 3–5 min on 2 cores)
//   npm run bench:brain -- --sizes 1000,10000 --queries 100
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pgvector from 'pgvector';
import { brainFunction } from '../functions/brain/handler.js';
import embedDefinition from '../functions/embed/handler.js';
import { sessionWriteFunction } from '../functions/session-write/handler.js';
import { FunctionClient } from '../lib/bus/client.js';
import { NatsLink } from '../lib/bus/nats-link.js';
import { loadConfig } from '../lib/config/index.js';
import { createPool, HNSW_INDEX_SQL, migrate, searchConversations, startEmbeddedDatabase } from '../lib/db/index.js';
import { UseLiteEmbedder } from '../lib/engines/embedding/index.js';
import { createLogger } from '../lib/log.js';
import type { FunctionRuntime } from '../lib/runtime/runtime.js';
import { type FunctionServer, startFunctionServer } from '../lib/runtime/server.js';
import { unrelatedUtterances } from '../test/brain/helpers/corpus.js';
import { benchContracts, benchSessionsStream } from './load/contracts.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,50000' },
    queries: { type: 'string', default: '200' },
    turns: { type: 'string', default: '60' },
  },
});
const SIZES = (args.sizes as string).split(',').map(Number);
const QUERIES = Number(args.queries);
const TURNS = Number(args.turns);
const log = createLogger('bench', 'error');
const USER = 'bench-user';
const out: string[] = [];
const say = (line = '') => {
  out.push(line);
  process.stdout.write(`${line}\n`);
};

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}
const f = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'arc-bench-brain-'));
  const db = await startEmbeddedDatabase({ dataDir, log });
  const pool = createPool({ url: db.url, max: 4, statementTimeoutMs: 120_000, log });
  try {
    say(`# bench/brain — ${new Date().toISOString()} — node ${process.version}, ${process.arch}`);
    say();
    const embedder = await UseLiteEmbedder.load(log);
    const spec = embedder.spec;
    await migrate(pool, spec, log);

    // ---- embedding latency
    const sentences = unrelatedUtterances(120);
    const single: number[] = [];
    for (const s of sentences.slice(0, 100)) {
      const t = performance.now();
      await embedder.embed([s]);
      single.push(performance.now() - t);
    }
    const tb = performance.now();
    await embedder.embed(sentences.slice(0, 64));
    const perInBatch = (performance.now() - tb) / 64;
    say('## Embedding latency (USE-lite 512-d, TF.js WASM, one thread)');
    say();
    say('| call | P50 ms | P95 ms |');
    say('|---|---|---|');
    say(`| one sentence per call (n=100) | ${f(pct(single, 50))} | ${f(pct(single, 95))} |`);
    say(`| batch of 64, per sentence | ${f(perInBatch)} | — |`);
    say();

    // ---- retrieval latency
    // Real sentence embeddings as cluster centres; rows are centres + noise, normalised, generated inside the
    // database (shipping 50k × 512 floats through the socket would measure the socket, not the search).
    const centres = await embedder.embed(unrelatedUtterances(240));
    await pool.query('CREATE TEMP TABLE IF NOT EXISTS bench_centres (i int PRIMARY KEY, v vector(512))');
    await pool.query('TRUNCATE bench_centres');
    for (const [i, v] of centres.entries()) {
      await pool.query('INSERT INTO bench_centres VALUES ($1, $2)', [i, pgvector.toSql(Array.from(v))]);
    }
    const sessionId = 'bench-session';
    await pool.query(
      "INSERT INTO agents.sessions (id, user_id, start_time) VALUES ($1, $2, now()), ('bench-other-session', 'bench-other', now()) ON CONFLICT DO NOTHING",
      [sessionId, USER],
    );
    say('## Retrieval: top-5 by cosine for one user (90 % of rows are theirs), P50/P95 over queries');
    say();
    say('| rows | HNSW build s | HNSW P50 ms | HNSW P95 ms | exact P50 ms | exact P95 ms | recall@5 HNSW vs exact |');
    say('|---|---|---|---|---|---|---|');
    const queries = (await embedder.embed(unrelatedUtterances(240).slice(0, 240))).map((v) =>
      Array.from(v, (x) => x + (Math.random() - 0.5) * 0.02),
    );
    let rows = 0;
    for (const size of SIZES) {
      await pool.query('DROP INDEX IF EXISTS agents.conversations_embedding_hnsw_idx');
      // One batch per 5k rows keeps each statement's memory small inside the WASM heap.
      for (let start = rows; start < size; start += 5_000) {
        const n = Math.min(5_000, size - start);
        await pool.query(
          `INSERT INTO agents.conversations (id, user_id, session_id, role, text, embedding, created_at)
           SELECT 'bench-' || g, CASE WHEN g % 10 = 0 THEN 'bench-other' ELSE $1 END,
                  CASE WHEN g % 10 = 0 THEN 'bench-other-session' ELSE $2 END, 'user', 'synthetic turn ' || g,
                  l2_normalize(c.v + n.noise), now() - (g || ' seconds')::interval
           FROM generate_series($3::int, $4::int) g
           JOIN bench_centres c ON c.i = g % 240
           CROSS JOIN LATERAL (
             SELECT array_agg((random() - 0.5) * 0.06)::vector(512) AS noise FROM generate_series(1, 512) WHERE g >= 0
           ) n`,
          [USER, sessionId, start, start + n - 1],
        );
      }
      rows = size;
      await pool.query("SET maintenance_work_mem = '512MB'");
      const tIdx = performance.now();
      await pool.query(HNSW_INDEX_SQL);
      const buildS = (performance.now() - tIdx) / 1000;
      await pool.query('ANALYZE agents.conversations');
      const hnsw: number[] = [];
      const exact: number[] = [];
      let recall = 0;
      for (let q = 0; q < QUERIES; q++) {
        const v = queries[q % queries.length] as number[];
        let t = performance.now();
        const a = await searchConversations(pool, USER, v, { k: 5, role: 'user' });
        hnsw.push(performance.now() - t);
        t = performance.now();
        const b = await searchConversations(pool, USER, v, { k: 5, role: 'user', exact: true });
        exact.push(performance.now() - t);
        const truth = new Set(b.map((m) => m.id));
        recall += a.filter((m) => truth.has(m.id)).length / Math.max(1, truth.size);
      }
      say(
        `| ${size.toLocaleString('en')} | ${buildS.toFixed(1)} | ${f(pct(hnsw, 50))} | ${f(pct(hnsw, 95))} | ${f(pct(exact, 50))} | ${f(pct(exact, 95))} | ${(recall / QUERIES).toFixed(3)} |`,
      );
    }
    say();
    await pool.query('DROP TABLE IF EXISTS bench_centres');

    // ---- brain time to first delta, over NATS vs in-process
    await benchBrain(db.url);
    await embedder.close();
  } finally {
    await pool.end();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchBrain(databaseUrl: string): Promise<void> {
  const id = randomUUID().slice(0, 8);
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' });
  const prefix = `bench.${id}`;
  const contracts = benchContracts(prefix);
  const durable = { stream: `BENCH_SESSIONS_${id}`, subjectPrefix: `${prefix}.sessions`, durable: 'w' };
  const defs = [
    { ...embedDefinition, contract: contracts.embed },
    sessionWriteFunction({ subject: contracts['session-write'].subject, durable }),
    brainFunction({ subject: contracts.brain.subject }),
  ];
  const servers: FunctionServer[] = [];
  // Stack 1: each function its own process, as deployed; the caller here reaches the brain over NATS and the
  // brain reaches embed and session-write over NATS.
  const children = await Promise.all(
    ['embed', 'session-write', 'brain'].map((name) => spawnFunction(name, prefix, databaseUrl)),
  );
  const link = new NatsLink({ servers: config.natsUrl, name: `bench-${id}`, log });
  await link.ready();
  const natsClient = new FunctionClient({ log, nats: link, contracts }) as unknown as FunctionClient;
  // Stack 2: the same functions in-process, reached through the in-process transport only.
  const local = new Map<string, FunctionRuntime>();
  const localClient = new FunctionClient({ log, local, contracts }) as unknown as FunctionClient;
  const offline = NatsLink.offline(log);
  for (const def of defs) {
    const s = await startFunctionServer(def as never, {
      config,
      log,
      port: false,
      nats: offline,
      client: localClient,
      natsWaitMs: 0,
    });
    servers.push(s);
    local.set(def.contract.name, s.runtime);
  }
  const questions = unrelatedUtterances(TURNS + 10);
  type Sample = { ttfd: number[]; overhead: number[]; stages: Record<string, number[]> };
  const sample = (): Sample => ({
    ttfd: [],
    overhead: [],
    stages: { embedMs: [], searchMs: [], firstDeltaMs: [], hop: [] },
  });
  const turn = async (client: FunctionClient, label: string, text: string, into: Sample | undefined) => {
    const t0 = performance.now();
    let first: number | undefined;
    for await (const c of client.stream('brain', {
      requestId: randomUUID(),
      sessionId: `bench-${label}`,
      userId: USER,
      text,
    })) {
      if (c.type === 'delta' && first === undefined) first = performance.now() - t0;
      if (c.type === 'final' && into && first !== undefined) {
        into.ttfd.push(first);
        for (const k of Object.keys(into.stages)) into.stages[k]?.push(c.timings[k] ?? Number.NaN);
        // Caller-side first delta minus the brain's own clock: admission + the caller↔brain transport.
        into.stages.hop?.pop();
        into.stages.hop?.push(first - (c.timings.firstDeltaMs ?? 0));
        // What is neither model compute nor the search: transports, graph, validation, JSON.
        into.overhead.push(first - (c.timings.embedMs ?? 0) - (c.timings.searchMs ?? 0));
      }
    }
    // Let the turn's background persistence (embed the reply, write) finish: measure the hot path alone.
    await new Promise((r) => setTimeout(r, 150));
  };
  const viaNats = sample();
  const inproc = sample();
  // Interleaved, so both paths see the same machine state (JIT, GC, caches, other load).
  for (let i = 0; i < TURNS + 5; i++) {
    const text = questions[i] as string;
    await turn(natsClient, 'nats', text, i >= 5 ? viaNats : undefined);
    await turn(localClient, 'inproc', text, i >= 5 ? inproc : undefined);
  }
  say(`## Brain time to first delta (memory responder, ${USER} with the largest store above, n=${TURNS} each)`);
  say();
  say('TTFD includes embedding the utterance (the `embed` call) and the top-5 search; the responder itself takes');
  say('< 1 ms. "Own overhead" = TTFD − embed − search per turn: transports, LangGraph, validation, JSON.');
  say('Over NATS each function runs in its own process (as deployed); in-process, all share the bench process.');
  say();
  say(
    '| path | TTFD P50 ms | TTFD P95 ms | embed P50 ms | search P50 ms | brain-side first delta P50 ms | caller↔brain P50 ms | own overhead P50 ms |',
  );
  say('|---|---|---|---|---|---|---|---|');
  const row = (label: string, r: typeof viaNats) =>
    say(
      `| ${label} | ${f(pct(r.ttfd, 50))} | ${f(pct(r.ttfd, 95))} | ${f(pct(r.stages.embedMs ?? [], 50))} | ${f(pct(r.stages.searchMs ?? [], 50))} | ${f(pct(r.stages.firstDeltaMs ?? [], 50))} | ${f(pct(r.stages.hop ?? [], 50))} | ${f(pct(r.overhead, 50))} |`,
    );
  row('over NATS (caller, brain, embed, session-write: 4 processes)', viaNats);
  row('in-process (same functions, in-process transport)', inproc);
  say(
    `| NATS adds (P50 difference of own overhead; 2 hops: caller→brain, brain→embed) | — | — | — | — | — | ${f(pct(viaNats.stages.hop ?? [], 50) - pct(inproc.stages.hop ?? [], 50))} | ${f(pct(viaNats.overhead, 50) - pct(inproc.overhead, 50))} |`,
  );
  say();
  // One hop alone: an embed call whose text is cached (no model compute), over NATS to another process vs in-process.
  const hop: Record<'nats' | 'inproc', number[]> = { nats: [], inproc: [] };
  for (let i = 0; i < 220; i++) {
    for (const [k, c] of [
      ['nats', natsClient],
      ['inproc', localClient],
    ] as const) {
      const t = performance.now();
      await c.call('embed', { texts: ['What is my name?'] });
      if (i >= 20) hop[k].push(performance.now() - t);
    }
  }
  say('One unary hop (embed of a cached text, 512 floats back), n=200 each:');
  say();
  say('| path | P50 ms | P95 ms |');
  say('|---|---|---|');
  say(`| NATS, to another process | ${f(pct(hop.nats, 50))} | ${f(pct(hop.nats, 95))} |`);
  say(`| in-process transport | ${f(pct(hop.inproc, 50))} | ${f(pct(hop.inproc, 95))} |`);
  say();
  for (const s of servers.reverse()) await s.stop(5_000);
  await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r) && c.kill('SIGTERM'))));
  const nc = link.connection;
  if (nc) {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(durable.stream).catch(() => {});
    await jsm.streams.delete(benchSessionsStream(prefix)).catch(() => {});
  }
  await link.close();
}

/** Starts one function of the NATS stack as a child process and waits for it to say "ready". */
function spawnFunction(name: string, prefix: string, databaseUrl: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'load', 'function-process.ts'), name, prefix],
    {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
  });
}

await main();
