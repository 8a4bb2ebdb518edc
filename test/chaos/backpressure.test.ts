// Back-pressure: a replica runs `maxConcurrent`, lets `maxQueued` wait, and sheds the rest at once with a typed
// `busy` (429 over HTTP) instead of letting latency grow without bound; once the burst passes it serves again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isArcError } from '../../lib/protocol/index.js';
import { defineFunction } from '../../lib/runtime/define.js';
import type { FunctionServer } from '../../lib/runtime/server.js';
import { sleep } from '../../lib/util/abort.js';
import { echoContracts } from '../fixtures/echo.js';
import { startReplica, type TestClient, testClient } from '../helpers/replicas.js';

const contracts = echoContracts();
const slow = defineFunction(
  contracts.echo,
  () => ({
    handle: async (req, ctx) => {
      await sleep(req.delayMs ?? 0, ctx.signal);
      return { text: req.text, replica: 'slow', transport: ctx.transport };
    },
  }),
  { maxConcurrent: 2, maxQueued: 2 },
);
let replica: FunctionServer;
let t: TestClient<typeof contracts>;

beforeAll(async () => {
  replica = await startReplica(slow);
  t = await testClient(contracts);
});

afterAll(async () => {
  await t?.close();
  await replica?.stop(2_000);
});

describe('load shedding', () => {
  it('20 calls at once on a replica that runs 2 and queues 2: 4 answered, 16 refused busy at once', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const t0 = performance.now();
        try {
          await t.client.call('echo', { text: `n${i}`, delayMs: 400 }, { transports: ['nats'] });
          return { ok: true, ms: performance.now() - t0 };
        } catch (err) {
          return { ok: false, code: isArcError(err) ? err.code : String(err), ms: performance.now() - t0 };
        }
      }),
    );
    const answered = outcomes.filter((o) => o.ok);
    const shed = outcomes.filter((o) => !o.ok);
    expect(answered).toHaveLength(4);
    expect(shed.map((o) => o.code)).toEqual(Array(16).fill('busy'));
    // Shed at once, not after waiting in a line: well under one handler run.
    expect(Math.max(...shed.map((o) => o.ms))).toBeLessThan(300);
    // The queued ones waited one run at most (2 slots, 2 waiting): bounded latency for what is accepted.
    expect(Math.max(...answered.map((o) => o.ms))).toBeLessThan(1_500);
  });

  it('over HTTP the same refusal is a 429 with the busy code; after the burst the replica serves', async () => {
    const calls = Array.from({ length: 8 }, () =>
      fetch(`${replica.url}/`, { method: 'POST', body: JSON.stringify({ text: 'x', delayMs: 300 }) }),
    );
    const statuses = (await Promise.all(calls)).map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 429).length).toBe(4);
    expect(statuses.filter((s) => s === 200).length).toBe(4);
    await expect(t.client.call('echo', { text: 'after' })).resolves.toMatchObject({ text: 'after' });
  });
});
