// `npm run bench:load`: how much one box holds with the embedded engines (the `npm start` shape).
//   1. Conversations: N simulated users (fixed flite WAVs fed in real time through local-mode sessions: Silero
//      VAD, PocketSphinx, brain with the memory responder, tts with flite, all over NATS) ramped until P95 E2E
//      passes the 1000 ms budget; each level reports the stage split and CPU per process.
//   2. Function throughput: brain text turns/s (memory responder, retrieval and persistence included) and tts
//      chunks/s, closed loop at a few concurrencies, straight to the functions over NATS.
//
//   npm run bench:load                            (≈ 4–5 min on 2 cores)
//   npm run bench:load -- --levels 1,2,4 --level-seconds 20 --seconds 5
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DEFAULT_SESSION_OPTIONS } from '../../agent-host/session.js';
import { FAST_SPEECH } from '../../agent-host/speech.js';
import type { FunctionClient } from '../../lib/bus/client.js';
import { FUNCTION_NAMES } from '../../lib/protocol/index.js';
import { formatTable, percentiles } from '../stats.js';
import { boxCpu, cpuSeconds, ensureNats, type LoadStack, startLoadStack } from './stack.js';
import { converse, type TurnResult, utterances } from './voice.js';

const { values: args } = parseArgs({
  options: {
    levels: { type: 'string', default: '1,2,4,6,8,12' },
    'level-seconds': { type: 'string', default: '40' },
    /** Warm PocketSphinx decoders (FAST_SPEECH keeps 3): more concurrent utterances start a cold one each. */
    decoders: { type: 'string' },
    /** The sessions' turn detection: the default (`transcript`) or `vad` (fixed silence, no wait on the words). */
    'turn-detection': { type: 'string' },
    budget: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '8' },
    'brain-concurrency': { type: 'string', default: '1,4,16' },
    'tts-concurrency': { type: 'string', default: '1,2,4,8' },
  },
});
const LEVELS = args.levels.split(',').map(Number);
const LEVEL_S = Number(args['level-seconds']);
const BUDGET_MS = Number(args.budget);
const SECONDS = Number(args.seconds);

const TEXTS = [
  'my name is alice',
  'i like green tea in the morning',
  'what is my name',
  // Not "… like to drink": the transcript turn detector reads a final "to <verb>" as unfinished and waits 1.2 s.
  'tell me what i drink',
];
const TTS_CHUNK = 'Sure, the quickest way to get there is to take the river path north.';

const round = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : '-');
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)} %` : '-');

interface Level {
  sessions: number;
  turns: TurnResult[];
  cpu: Record<string, number>;
  wallS: number;
  lagP99Ms: number;
  /** Share of the whole machine busy (all processes, ours and anyone else's). */
  box: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const ownNats = await ensureNats(natsUrl);
  const turnDetection = args['turn-detection'] as 'vad' | 'transcript' | undefined;
  const stack = await startLoadStack(ownNats?.url ?? natsUrl, {
    decoders: args.decoders ? Number(args.decoders) : undefined,
    turnDetection,
  });
  const procs: Record<string, number> = { host: process.pid, ...stack.pids };
  process.stdout.write(
    `bench/load: ${new Date().toISOString()} · ${TEXTS.length} fixed utterances · levels ${LEVELS.join(',')} · users talk for ${LEVEL_S} s per level · ${args.decoders ?? FAST_SPEECH.poolSize} warm decoders · turn detection ${turnDetection ?? DEFAULT_SESSION_OPTIONS.turnDetection} (endpointing ${DEFAULT_SESSION_OPTIONS.endpointing.minDelayMs}–${DEFAULT_SESSION_OPTIONS.endpointing.maxDelayMs} ms)\n`,
  );
  try {
    const said = utterances(TEXTS);
    // One warm-up conversation (first calls load lazily: embedding model, decoders, JIT).
    await converse(stack.host, said, { turns: 1, offset: 0 });

    const levels: Level[] = [];
    let over = 0;
    for (const n of LEVELS) {
      const level = await runLevel(stack, said, n, procs);
      levels.push(level);
      const e2e = percentiles(level.turns.flatMap((t) => (t.e2eMs === undefined ? [] : [t.e2eMs])));
      const failed = level.turns.filter((t) => t.failed).length;
      process.stdout.write(`  ${n} sessions: P95 E2E ${round(e2e.p95)} ms, ${failed} failed turns\n`);
      // One level over the budget can be a stray slow turn (few turns per level): stop after two in a row.
      over = e2e.p95 > BUDGET_MS || failed > level.turns.length * 0.1 ? over + 1 : 0;
      if (over === 2) break;
    }
    process.stdout.write(`\n${voiceTables(levels)}\n`);

    const brain = await brainThroughput(stack.client, procs);
    const tts = await ttsThroughput(stack.client, procs);
    process.stdout.write(`${throughputTables(brain, tts)}\n`);
  } finally {
    await stack.stop();
    ownNats?.stop();
  }
  process.stdout.write(`ran in ${Math.round((performance.now() - started) / 1000)} s\n`);
}

async function runLevel(
  stack: LoadStack,
  said: ReturnType<typeof utterances>,
  n: number,
  procs: Record<string, number>,
): Promise<Level> {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu0 = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const box0 = boxCpu();
  const t0 = performance.now();
  // Staggered starts: users do not all finish a sentence in the same 20 ms frame.
  const until = Date.now() + LEVEL_S * 1000;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => converse(stack.host, said, { until, offset: Math.round((i * 1500) / n) })),
  );
  const wallS = (performance.now() - t0) / 1000;
  lag.disable();
  const cpu = Object.fromEntries(
    Object.entries(procs).map(([k, pid]) => [k, (cpuSeconds(pid) - (cpu0[k] ?? 0)) / wallS]),
  );
  const box1 = boxCpu();
  const box = (box1.busy - box0.busy) / (box1.total - box0.total);
  return { sessions: n, turns: results.flat(), cpu, wallS, lagP99Ms: lag.percentile(99) / 1e6, box };
}

/** Per-turn stage increments (ms): each stage from the latest earlier milestone reached, as in the host's trace. */
function increments(t: TurnResult): Record<string, number> | undefined {
  const s = t.stages;
  if (!s || t.e2eMs === undefined) return undefined;
  const order: [string, number | undefined][] = [
    ['endpointing', s.endOfTurn],
    ['stt final', s.sttFinal],
    ['brain first delta', s.brainFirstDelta],
    ['first speakable chunk', s.firstSpeakableChunk],
    ['tts first chunk', s.ttsFirstChunk],
    ['playout', s.firstAudio],
  ];
  const out: Record<string, number> = {};
  const reached = [0];
  for (const [name, ms] of order) {
    if (ms === undefined) continue;
    out[name] = ms - Math.max(...reached.filter((r) => r <= ms));
    reached.push(ms);
  }
  return out;
}

function voiceTables(levels: Level[]): string {
  const header = [
    'sessions',
    'turns',
    'failed',
    'E2E P50 ms',
    'E2E P95 ms',
    'E2E max ms',
    'E2E − endpointing P95',
    'endpointing P50',
    'STT final P50',
    'brain 1st delta P50',
    'TTS 1st chunk P50',
    'first audio P50',
    'CPU host',
    'CPU functions',
    'host loop lag P99 ms',
    'box busy',
  ];
  const rows = levels.map((l) => {
    const ok = l.turns.filter((t) => t.e2eMs !== undefined);
    const e2e = percentiles(ok.map((t) => t.e2eMs as number));
    const stage = (k: keyof NonNullable<TurnResult['stages']>) =>
      round(percentiles(ok.flatMap((t) => (t.stages?.[k] === undefined ? [] : [t.stages[k] as number]))).p50);
    const fnCpu = FUNCTION_NAMES.reduce((a, f) => a + (l.cpu[f] ?? 0), 0);
    return [
      String(l.sessions),
      String(l.turns.length),
      String(l.turns.length - ok.length),
      round(e2e.p50),
      round(e2e.p95),
      round(e2e.max),
      round(
        percentiles(
          ok.flatMap((t) => (t.stages?.endOfTurn === undefined ? [] : [(t.e2eMs as number) - t.stages.endOfTurn])),
        ).p95,
      ),
      stage('endOfTurn'),
      stage('sttFinal'),
      stage('brainFirstDelta'),
      stage('ttsFirstChunk'),
      stage('firstAudio'),
      pct(l.cpu.host ?? Number.NaN),
      pct(fnCpu),
      round(l.lagP99Ms),
      pct(l.box),
    ];
  });
  const sustained = [...levels]
    .filter((l) => {
      const ok = l.turns.filter((t) => t.e2eMs !== undefined);
      return ok.length === l.turns.length && percentiles(ok.map((t) => t.e2eMs as number)).p95 <= BUDGET_MS;
    })
    .at(-1);
  let out = `### Conversations (stage columns: ms after the VAD's end of speech; CPU: share of one core; box busy: all processes on all cores, anyone's)\n\n${formatTable(header, rows)}`;
  out += `\nSessions sustained (largest level with P95 E2E ≤ ${BUDGET_MS} ms and no failed turn): ${sustained?.sessions ?? 0}\n`;

  // Where the time goes: median increment per stage, and CPU per process, at the level sustained and the last one.
  const shown = [...new Set([sustained, levels.at(-1)])].filter((l): l is Level => Boolean(l));
  const names = [
    'endpointing',
    'stt final',
    'brain first delta',
    'first speakable chunk',
    'tts first chunk',
    'playout',
  ];
  for (const level of shown) {
    const inc = level.turns.map(increments).filter((x): x is Record<string, number> => Boolean(x));
    const rows = names.map((n) => {
      const p = percentiles(inc.flatMap((r) => (r[n] === undefined ? [] : [r[n] as number])));
      return [n, round(p.p50), round(p.p95)];
    });
    const cpuRows = Object.entries(level.cpu).map(([k, v]) => [
      k === 'host' ? 'host (sessions: VAD, STT, audio; PGlite)' : k,
      pct(v),
    ]);
    out += `\n### Where the time goes at ${level.sessions} sessions (each stage from the previous milestone reached)\n\n`;
    out += `${formatTable(['stage', 'P50 ms', 'P95 ms'], rows)}\n${formatTable(['process', 'CPU (share of one core)'], cpuRows)}`;
  }
  return out;
}

interface Throughput {
  concurrency: number;
  done: number;
  failed: number;
  perSecond: number;
  firstMs: ReturnType<typeof percentiles>;
  totalMs: ReturnType<typeof percentiles>;
  extra: string;
  cpu: Record<string, number>;
}

/** Runs `call` in `c` closed loops for `seconds`; returns completions and latencies. */
async function closedLoop(
  c: number,
  seconds: number,
  procs: Record<string, number>,
  call: (i: number) => Promise<{ firstMs: number; totalMs: number; units?: number }>,
): Promise<Omit<Throughput, 'extra'> & { units: number }> {
  const cpu0 = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const until = performance.now() + seconds * 1000;
  const first: number[] = [];
  const total: number[] = [];
  let failed = 0;
  let units = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async (_, w) => {
      for (let i = 0; performance.now() < until; i++) {
        try {
          const r = await call(w * 100_000 + i);
          first.push(r.firstMs);
          total.push(r.totalMs);
          units += r.units ?? 0;
        } catch {
          failed++;
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = Object.fromEntries(
    Object.entries(procs).map(([k, pid]) => [k, (cpuSeconds(pid) - (cpu0[k] ?? 0)) / wall]),
  );
  return {
    concurrency: c,
    done: total.length,
    failed,
    perSecond: total.length / wall,
    firstMs: percentiles(first),
    totalMs: percentiles(total),
    units,
    cpu,
  };
}

async function brainThroughput(client: FunctionClient, procs: Record<string, number>): Promise<Throughput[]> {
  const out: Throughput[] = [];
  const texts = ['my name is bob', 'i live near the river', 'what is my name', 'where do i live'];
  for (const c of args['brain-concurrency'].split(',').map(Number)) {
    const r = await closedLoop(c, SECONDS, procs, async (i) => {
      const t0 = performance.now();
      let firstMs = Number.NaN;
      const stream = client.stream('brain', {
        requestId: randomUUID(),
        sessionId: `load-text-${i % 8}`,
        userId: `load-text-user-${i % 8}`,
        text: texts[i % texts.length] as string,
      });
      for await (const chunk of stream) {
        if (chunk.type === 'delta' && Number.isNaN(firstMs)) firstMs = performance.now() - t0;
      }
      return { firstMs, totalMs: performance.now() - t0 };
    });
    out.push({ ...r, extra: '' });
  }
  return out;
}

async function ttsThroughput(client: FunctionClient, procs: Record<string, number>): Promise<Throughput[]> {
  const out: Throughput[] = [];
  for (const c of args['tts-concurrency'].split(',').map(Number)) {
    const r = await closedLoop(c, SECONDS, procs, async () => {
      const t0 = performance.now();
      let firstMs = Number.NaN;
      let bytes = 0;
      for await (const pcm of client.stream('tts', { requestId: randomUUID(), text: TTS_CHUNK, sampleRate: 22050 })) {
        if (Number.isNaN(firstMs)) firstMs = performance.now() - t0;
        bytes += (pcm as Uint8Array).byteLength;
      }
      return { firstMs, totalMs: performance.now() - t0, units: bytes / 2 / 22050 };
    });
    const wall = r.done / r.perSecond;
    out.push({ ...r, extra: (r.units / wall).toFixed(1) });
  }
  return out;
}

function throughputTables(brain: Throughput[], tts: Throughput[]): string {
  const cpu = (t: Throughput, f: string) => pct(t.cpu[f] ?? Number.NaN);
  const brainRows = brain.map((t) => [
    String(t.concurrency),
    String(t.done),
    String(t.failed),
    t.perSecond.toFixed(1),
    round(t.firstMs.p50),
    round(t.firstMs.p95),
    round(t.totalMs.p95),
    cpu(t, 'brain'),
    cpu(t, 'embed'),
    cpu(t, 'session-write'),
    cpu(t, 'host'),
  ]);
  const ttsRows = tts.map((t) => [
    String(t.concurrency),
    String(t.done),
    String(t.failed),
    t.perSecond.toFixed(1),
    t.extra,
    round(t.firstMs.p50),
    round(t.firstMs.p95),
    round(t.totalMs.p95),
    cpu(t, 'tts'),
  ]);
  return (
    `### brain: text turns straight to the function (memory responder; embed, retrieval and persistence included), ${SECONDS} s per row\n\n` +
    formatTable(
      [
        'concurrent',
        'turns',
        'failed',
        'turns/s',
        'first delta P50 ms',
        'first delta P95 ms',
        'turn P95 ms',
        'CPU brain',
        'CPU embed',
        'CPU session-write',
        'CPU host (PGlite)',
      ],
      brainRows,
    ) +
    `\n### tts: one speakable chunk per request ("${TTS_CHUNK}", flite), ${SECONDS} s per row\n\n` +
    formatTable(
      [
        'concurrent',
        'chunks',
        'failed',
        'chunks/s',
        'audio s per s',
        'first audio P50 ms',
        'first audio P95 ms',
        'chunk P95 ms',
        'CPU tts',
      ],
      ttsRows,
    )
  );
}

await main();
process.exit(0);
