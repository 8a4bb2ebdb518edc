// Chaos: a scripted multi-turn conversation at the text level (brain over FunctionClient, as the agent host or
// scripts/chat.ts calls it) while nats-server, a function process and the database are killed and restarted in
// the middle of turns. Every user turn gets an answer or a typed error within 3 s; every answered turn is in the
// database exactly once (after JetStream replays what waited); nothing crashes but what was killed.
// CI: 60 turns, a kill every 20 (at turns 10, 30, 50: NATS, a brain replica, the database).
// Long form: CHAOS_TURNS=200 (10 kills, the five targets twice) — figures in docs/reliability.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../lib/db/index.js';
import { embeddingSpecFromConfig } from '../../lib/engines/embedding/index.js';
import { isArcError } from '../../lib/protocol/index.js';
import { sleep } from '../../lib/util/abort.js';
import { testConfig, testLogger } from '../helpers/env.js';
import { inflight } from './processes.js';
import { type ChaosFunction, type ChaosStack, startChaosStack } from './stack.js';

const TURNS = Number(process.env.CHAOS_TURNS ?? 60);
const KILL_EVERY = Number(process.env.CHAOS_KILL_EVERY ?? 20);
const BUDGET_MS = 3_000;
const TARGETS = ['nats', 'brain', 'database', 'embed', 'session-write'] as const;
type Target = (typeof TARGETS)[number];

const run = `c${Date.now().toString(36)}`;
const sessionId = `${run}-session`;
const userId = `${run}-user`;
const script = [
  'My name is Dana and I live in Lisbon.',
  'I have a dog called Pixel.',
  'What is my name?',
  'Where do I live?',
  'I work as a nurse on night shifts.',
  'Remind me what my dog is called.',
  'I like green tea more than coffee.',
  'What do I drink in the morning?',
];

interface TurnResult {
  turn: number;
  requestId: string;
  text: string;
  ms: number;
  outcome: 'answered' | 'error' | 'late';
  code?: string;
  kill?: Target;
}

let stack: ChaosStack;
const results: TurnResult[] = [];
const kills: { turn: number; target: Target; killedMs: number; backMs: number; replica?: string }[] = [];
const restarts: Promise<unknown>[] = [];

beforeAll(async () => {
  stack = await startChaosStack(2);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(restarts);
  await stack?.close();
});

/** One user turn: the brain's stream to its `final`, or a typed error; either must come within BUDGET_MS. */
async function turn(i: number, duringTurn?: () => Promise<void>): Promise<TurnResult> {
  const requestId = `${run}-t${i}`;
  const text = `${script[i % script.length]} (turn ${i})`;
  const t0 = performance.now();
  const stream = stack.client.stream('brain', { requestId, sessionId, userId, text });
  const late = setTimeout(() => stream.cancel(), BUDGET_MS + 2_000);
  const chaos = duringTurn?.();
  let outcome: TurnResult['outcome'] = 'late';
  let code: string | undefined;
  try {
    for await (const chunk of stream) {
      if (chunk.type === 'final' && chunk.response.length > 0) outcome = 'answered';
    }
  } catch (err) {
    outcome = 'error';
    code = isArcError(err) ? err.code : `untyped: ${(err as Error).message}`;
  } finally {
    clearTimeout(late);
  }
  const ms = performance.now() - t0;
  if (ms > BUDGET_MS) outcome = 'late';
  await chaos;
  return { turn: i, requestId, text, ms, outcome, code };
}

/** Kills `target` while turn `i` is in flight (once the brain is working on it), and brings it back. */
function killDuring(i: number, target: Target): () => Promise<void> {
  return async () => {
    const t0 = performance.now();
    // Land in the middle of the turn: the brain has the request and the LLM is streaming.
    const until = Date.now() + 1_000;
    while (Date.now() < until && stack.llm.requests.length <= i) await sleep(5);
    await sleep(60);
    const record = { turn: i, target, killedMs: 0, backMs: 0, replica: undefined as string | undefined };
    kills.push(record);
    switch (target) {
      case 'nats':
        await stack.nats.kill();
        record.killedMs = performance.now() - t0;
        restarts.push(
          sleep(1_000)
            .then(() => stack.nats.start())
            .then(() => {
              record.backMs = performance.now() - t0;
            }),
        );
        return;
      case 'database':
        await stack.stopDb();
        record.killedMs = performance.now() - t0;
        restarts.push(
          sleep(1_500)
            .then(() => stack.startDb())
            .then(() => {
              record.backMs = performance.now() - t0;
            }),
        );
        return;
      default: {
        const fn = target as ChaosFunction;
        const pool = stack.live(fn);
        let victim = pool[0];
        for (const r of pool) if ((await inflight(r, fn)) > 0) victim = r;
        if (!victim) return;
        await victim.kill();
        record.replica = victim.name;
        record.killedMs = performance.now() - t0;
        restarts.push(
          stack.startReplica(fn).then(() => {
            record.backMs = performance.now() - t0;
          }),
        );
      }
    }
  };
}

describe(`chaos: ${TURNS} turns, a kill every ${KILL_EVERY}`, () => {
  it(
    'every turn is answered or refused with a typed error within 3 s',
    async () => {
      let k = 0;
      for (let i = 0; i < TURNS; i++) {
        const killHere = i % KILL_EVERY === KILL_EVERY / 2;
        const target = killHere ? TARGETS[k++ % TARGETS.length] : undefined;
        const r = await turn(i, target ? killDuring(i, target) : undefined);
        if (target) r.kill = target;
        results.push(r);
        await sleep(30);
      }
      const answered = results.filter((r) => r.outcome === 'answered');
      const errors = results.filter((r) => r.outcome === 'error');
      const late = results.filter((r) => r.outcome === 'late');
      const ms = results.map((r) => r.ms).sort((a, b) => a - b);
      const summary = {
        turns: TURNS,
        kills: kills.map((x) => `${x.turn}:${x.target}${x.replica ? `(${x.replica})` : ''}`),
        answered: answered.length,
        errored: errors.length,
        errorCodes: errors.map((r) => `${r.turn}:${r.code}`),
        late: late.map((r) => `${r.turn}:${Math.round(r.ms)}ms`),
        p50Ms: Math.round(ms[Math.floor(ms.length * 0.5)] ?? 0),
        p95Ms: Math.round(ms[Math.floor(ms.length * 0.95)] ?? 0),
        maxMs: Math.round(ms[ms.length - 1] ?? 0),
        turnsAroundKills: kills.map((x) =>
          results.slice(x.turn, x.turn + 3).map((r) => `${r.turn}:${r.outcome}:${Math.round(r.ms)}`),
        ),
      };
      process.stdout.write(`chaos: ${JSON.stringify(summary)}\n`);
      expect(late, 'turns with neither an answer nor an error within 3 s').toEqual([]);
      for (const e of errors) expect(e.code, `turn ${e.turn}`).not.toMatch(/^untyped/);
      // Kills cost at most the turns they land in; the rest of the conversation goes on.
      expect(answered.length).toBeGreaterThanOrEqual(TURNS - 2 * kills.length);
    },
    60_000 + TURNS * 4_000,
  );

  it('every answered turn is in the database exactly once (writes that waited out an outage replayed)', async () => {
    await Promise.allSettled(restarts);
    const config = testConfig({ DATABASE_URL: stack.dbUrl });
    const db = await openDatabase({ config, log: testLogger('chaos-check'), spec: embeddingSpecFromConfig(config) });
    try {
      const answered = results.filter((r) => r.outcome === 'answered');
      const count = async () =>
        (
          await db.pool.query<{ id: string; text: string }>(
            'SELECT id, text FROM agents.conversations WHERE session_id = $1',
            [sessionId],
          )
        ).rows;
      // JetStream hands the events held during the database outage to the writers; wait for them to land.
      let rows = await count();
      const until = Date.now() + 30_000;
      const missing = () => {
        const ids = new Set(rows.map((r) => r.id));
        return answered.filter((r) => !ids.has(`${r.requestId}-user`) || !ids.has(`${r.requestId}-assistant`));
      };
      while (missing().length > 0 && Date.now() < until) {
        await sleep(250);
        rows = await count();
      }
      expect(
        missing().map((r) => r.turn),
        'answered turns not stored',
      ).toEqual([]);
      // Exactly once: no user text twice (a retry with a new id would show here), no id twice.
      const byText = new Map<string, number>();
      for (const r of rows) if (r.id.endsWith('-user')) byText.set(r.text, (byText.get(r.text) ?? 0) + 1);
      expect([...byText].filter(([, n]) => n > 1)).toEqual([]);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      process.stdout.write(
        `chaos db: ${JSON.stringify({ rows: rows.length, answered: answered.length, errored: results.length - answered.length })}\n`,
      );
    } finally {
      await db.close();
    }
  }, 60_000);

  it('no process crashed but the ones killed; NATS and every replacement are up', () => {
    for (const r of stack.replicas) expect(r.crashed, `${r.name} crashed:\n${r.output().slice(-3_000)}`).toBe(false);
    expect(stack.nats.running).toBe(true);
    for (const fn of ['brain', 'embed', 'session-write'] as const) expect(stack.live(fn).length, fn).toBe(2);
  });

  it('the database outage was visible and survived: brain answered without memories and said so in its log', () => {
    if (!kills.some((k) => k.target === 'database')) return;
    const brainLogs = stack.replicas.filter((r) => r.name.startsWith('brain#')).map((r) => r.output());
    expect(brainLogs.join('\n')).toMatch(/answering without memories/);
  });
});
