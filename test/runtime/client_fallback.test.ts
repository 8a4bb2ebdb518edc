// FunctionClient fallback: NATS → HTTP → in-process, against real NATS servers that we stop and kill.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FunctionClient } from '../../lib/bus/client.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { defineFunction } from '../../lib/runtime/define.js';
import { FunctionRuntime } from '../../lib/runtime/runtime.js';
import { type FunctionServer, startFunctionServer } from '../../lib/runtime/server.js';
import { clientFallbacks } from '../../lib/telemetry/metrics.js';
import { sleep } from '../../lib/util/abort.js';
import { echoContracts, echoFunctions } from '../fixtures/echo.js';
import { testConfig, testLogger } from '../helpers/env.js';
import { type PrivateNats, startPrivateNats } from '../helpers/nats-server.js';
import { startReplica, testClient } from '../helpers/replicas.js';

const contracts = echoContracts();
const fns = echoFunctions(contracts);
const log = testLogger();
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A replica that serves HTTP only (its NATS link never connects). */
async function httpOnlyReplica(definition: Parameters<typeof startFunctionServer>[0]): Promise<FunctionServer> {
  const server = await startFunctionServer(definition, {
    config: testConfig(),
    log,
    port: 0,
    host: '127.0.0.1',
    nats: NatsLink.offline(log),
    natsWaitMs: 0,
  });
  cleanups.push(() => server.stop(500));
  return server;
}

async function fallbackCount(name: string, from: string, to: string, reason: string): Promise<number> {
  const metric = await clientFallbacks.get();
  return (
    metric.values.find(
      (v) => v.labels.function === name && v.labels.from === from && v.labels.to === to && v.labels.reason === reason,
    )?.value ?? 0
  );
}

describe('fallback to HTTP', () => {
  it('no responders on NATS → the call is served over HTTP', async () => {
    const replica = await httpOnlyReplica(fns.echo);
    const t = await testClient(contracts, { http: () => replica.url });
    cleanups.push(() => t.close());
    const before = await fallbackCount('echo', 'nats', 'http', 'unavailable');
    const res = await t.client.call('echo', { text: 'via http' });
    expect(res).toMatchObject({ text: 'via http', transport: 'http' });
    expect(await fallbackCount('echo', 'nats', 'http', 'unavailable')).toBe(before + 1);
  });

  it('no responders on NATS → a stream is served over HTTP (SSE) complete and in order', async () => {
    const replica = await httpOnlyReplica(fns.count);
    const t = await testClient(contracts, { http: () => replica.url });
    cleanups.push(() => t.close());
    const stream = t.client.stream('count', { requestId: randomUUID(), count: 50 });
    const got: number[] = [];
    for await (const c of stream) got.push(c.i);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(stream.transport).toBe('http');
  });

  it('binary chunks and stream headers survive the HTTP fallback', async () => {
    const replica = await httpOnlyReplica(fns.tone);
    const t = await testClient(contracts, { http: () => replica.url });
    cleanups.push(() => t.close());
    const stream = t.client.stream('tone', { requestId: randomUUID(), chunks: 3, bytes: 320 });
    const chunks: Uint8Array[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.map((c) => [c.byteLength, c[0]])).toEqual([
      [320, 0],
      [320, 1],
      [320, 2],
    ]);
    expect(stream.headers['arc-sample-rate']).toBe('16000');
  });

  it('a replica that never sends a first chunk → first_chunk_timeout → HTTP, and the stuck request is cancelled', async () => {
    const hung = defineFunction(contracts.count, () => ({
      async *handle(_req, ctx) {
        await sleep(60_000, ctx.signal);
        yield { i: -1 };
      },
    }));
    const stuck = await startReplica(hung);
    cleanups.push(() => stuck.stop(500));
    const healthy = await httpOnlyReplica(fns.count);
    const t = await testClient(contracts, { http: () => healthy.url });
    cleanups.push(() => t.close());
    const got: number[] = [];
    for await (const c of t.client.stream(
      'count',
      { requestId: randomUUID(), count: 3 },
      { firstChunkTimeoutMs: 300 },
    )) {
      got.push(c.i);
    }
    expect(got).toEqual([0, 1, 2]);
    await sleep(100);
    expect(stuck.runtime.inflightCount).toBe(0);
  });

  it('NATS down before the call → HTTP; no transport at all → a typed unavailable error', async () => {
    const replica = await httpOnlyReplica(fns.echo);
    const offline = NatsLink.offline(log);
    const viaHttp = new FunctionClient({ log, nats: offline, http: () => replica.url, contracts });
    expect((await viaHttp.call('echo', { text: 'x' })).transport).toBe('http');
    const nowhere = new FunctionClient({ log, nats: offline, contracts });
    await expect(nowhere.call('echo', { text: 'x' })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('HTTP unreachable as well → unavailable naming what each transport said', async () => {
    const offline = NatsLink.offline(log);
    const client = new FunctionClient({ log, nats: offline, http: 'http://127.0.0.1:1', contracts });
    const err = await client.call('echo', { text: 'x' }).catch((e) => e);
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/nats: .*http: /);
  });
});

describe('NATS killed mid-call', () => {
  let nats: PrivateNats;
  beforeAll(async () => {
    nats = await startPrivateNats();
  });
  afterAll(async () => {
    await nats.kill();
  });

  it('a unary call in flight falls back to HTTP and succeeds; after NATS returns, calls use NATS again', async () => {
    const replica = await startReplica(fns.echo, nats.url);
    cleanups.push(() => replica.stop(500));
    const t = await testClient(contracts, { natsUrl: nats.url, http: () => replica.url });
    cleanups.push(() => t.close());
    expect((await t.client.call('echo', { text: 'warm' })).transport).toBe('nats');

    const inFlight = t.client.call('echo', { text: 'survives', delayMs: 600 });
    await sleep(150);
    const before = await fallbackCount('echo', 'nats', 'http', 'connection_lost');
    await nats.kill();
    const res = await inFlight;
    expect(res).toMatchObject({ text: 'survives', transport: 'http' });
    expect(await fallbackCount('echo', 'nats', 'http', 'connection_lost')).toBe(before + 1);

    await nats.start();
    await waitFor(() => t.link.connected && replica.nats.connected, 5_000);
    await sleep(100); // the replica re-subscribes right after reconnecting
    expect((await t.client.call('echo', { text: 'back' })).transport).toBe('nats');
  });

  it('a stream waiting for its first chunk falls back to HTTP when NATS dies', async () => {
    if (!nats.running) await nats.start();
    const replica = await startReplica(fns.count, nats.url);
    cleanups.push(() => replica.stop(500));
    const t = await testClient(contracts, { natsUrl: nats.url, http: () => replica.url });
    cleanups.push(() => t.close());
    const stream = t.client.stream('count', { requestId: randomUUID(), count: 5, firstDelayMs: 600 });
    const done = (async () => {
      const got: number[] = [];
      for await (const c of stream) got.push(c.i);
      return got;
    })();
    await sleep(150);
    await nats.kill();
    expect(await done).toEqual([0, 1, 2, 3, 4]);
    expect(stream.transport).toBe('http');
  });
});

describe('in-process fallback (embedded default)', () => {
  it('with neither NATS nor HTTP, a local runtime serves the call with the same validation', async () => {
    const runtime = new FunctionRuntime(fns.echo, log);
    const offline = NatsLink.offline(log);
    await runtime.start({
      config: testConfig(),
      log,
      nats: offline,
      client: new FunctionClient({ log, nats: offline }),
    });
    const local = new FunctionClient({
      log,
      nats: offline,
      local: new Map([['echo', runtime as FunctionRuntime]]),
      contracts,
    });
    expect(await local.call('echo', { text: 'local' })).toMatchObject({ text: 'local', transport: 'inproc' });
    await expect(local.call('echo', { text: '' })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(25);
  }
}
