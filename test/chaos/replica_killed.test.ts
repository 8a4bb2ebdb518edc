// A function replica killed (SIGKILL) mid-request, as separate processes on the real NATS server: an idempotent
// call goes once more to another replica and succeeds; a non-idempotent one fails fast with a typed error.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isArcError } from '../../lib/protocol/index.js';
import { registry } from '../../lib/telemetry/metrics.js';
import { sleep } from '../../lib/util/abort.js';
import { echoContracts } from '../fixtures/echo.js';
import { NATS_URL } from '../helpers/env.js';
import { type TestClient, testClient } from '../helpers/replicas.js';
import { type ChildReplica, inflight, startChild } from './processes.js';

const prefix = `test.${randomUUID().slice(0, 8)}`;
const contracts = echoContracts(prefix);
/** The same functions as the client sees them when the requests may not run twice. */
const once = {
  echo: { ...contracts.echo, idempotent: false },
  count: { ...contracts.count, idempotent: false },
};
const replicas: ChildReplica[] = [];
let client: TestClient<typeof contracts>;
let onceClient: TestClient<typeof once>;

const start = (fn: 'echo' | 'count') =>
  startChild(`${fn}-${replicas.length}`, 'test/chaos/echo-replica.ts', {
    NATS_URL,
    FIXTURE_PREFIX: prefix,
    FIXTURE_FN: fn,
  }).then((r) => {
    replicas.push(r);
    return r;
  });

/** Waits until one of `pool` runs a request of `fn`, and kills that one. */
async function killTheBusyOne(pool: ChildReplica[], fn: string): Promise<ChildReplica> {
  const until = Date.now() + 5_000;
  while (Date.now() < until) {
    for (const r of pool) if (r.alive && (await inflight(r, fn)) > 0) return r.kill().then(() => r);
    await sleep(20);
  }
  throw new Error(`no replica of ${fn} picked the request up`);
}

async function retries(fn: string): Promise<number> {
  const m = await registry.getSingleMetric('arc_client_retries_total')?.get();
  return m?.values.filter((v) => v.labels.function === fn).reduce((a, v) => a + v.value, 0) ?? 0;
}

beforeAll(async () => {
  await Promise.all([start('echo'), start('echo'), start('count'), start('count')]);
  client = await testClient(contracts);
  onceClient = await testClient(once);
}, 90_000);

afterAll(async () => {
  await client?.close();
  await onceClient?.close();
  await Promise.all(replicas.map((r) => r.kill()));
});

describe('a replica killed mid-request', () => {
  it('unary, idempotent: retried once on the other replica and answered (no wait for the deadline)', async () => {
    const pool = replicas.filter((r) => r.name.startsWith('echo') && r.alive);
    const before = await retries('echo');
    const t0 = performance.now();
    const call = client.client.call('echo', { text: 'survive', delayMs: 800 });
    const killed = await killTheBusyOne(pool, 'echo');
    const res = await call;
    const ms = performance.now() - t0;
    expect(res.text).toBe('survive');
    expect(killed.alive).toBe(false);
    expect(await retries('echo')).toBe(before + 1);
    // Silence limit (1.6 s) + the second run (0.8 s) + slack; the contract deadline would be 10.5 s.
    expect(ms).toBeLessThan(4_000);
    await start('echo');
  }, 30_000);

  it('unary, not idempotent: fails fast with connection_lost, not run twice', async () => {
    const pool = replicas.filter((r) => r.name.startsWith('echo') && r.alive);
    const t0 = performance.now();
    const call = onceClient.client.call('echo', { text: 'at most once', delayMs: 800 }).catch((e) => e);
    await killTheBusyOne(pool, 'echo');
    const err = await call;
    expect(isArcError(err, 'connection_lost')).toBe(true);
    expect((err as Error).message).toMatch(/went silent/);
    expect(performance.now() - t0).toBeLessThan(3_000);
  }, 30_000);

  it('stream before its first chunk: retried on the other replica, complete and in order', async () => {
    const pool = replicas.filter((r) => r.name.startsWith('count') && r.alive);
    const requestId = randomUUID();
    const chunks: number[] = [];
    const t0 = performance.now();
    const reading = (async () => {
      for await (const c of client.client.stream('count', { requestId, count: 5, firstDelayMs: 600 })) chunks.push(c.i);
    })();
    await killTheBusyOne(pool, 'count');
    await reading;
    expect(chunks).toEqual([0, 1, 2, 3, 4]);
    expect(performance.now() - t0).toBeLessThan(4_000);
    await start('count');
  }, 30_000);

  it('stream after its first chunk: the chunks so far, then a typed connection_lost within the silence limit', async () => {
    const pool = replicas.filter((r) => r.name.startsWith('count') && r.alive);
    const chunks: number[] = [];
    let failure: unknown;
    const reading = (async () => {
      try {
        for await (const c of client.client.stream('count', { requestId: randomUUID(), count: 50, intervalMs: 100 }))
          chunks.push(c.i);
      } catch (err) {
        failure = err;
      }
    })();
    while (chunks.length < 3) await sleep(10);
    await killTheBusyOne(pool, 'count');
    const killedAt = performance.now();
    await reading;
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.length).toBeLessThan(50);
    expect(isArcError(failure, 'connection_lost')).toBe(true);
    expect(performance.now() - killedAt).toBeLessThan(2_500);
  }, 30_000);

  it('nothing else crashed', () => {
    for (const r of replicas) expect(r.crashed, `${r.name}:\n${r.output()}`).toBe(false);
  });
});
