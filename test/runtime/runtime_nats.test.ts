// The function runtime over the real NATS server: unary, streams, the queue-group warm pool, cancel, bad input.
import { randomUUID } from 'node:crypto';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArcError, encodeJson, HDR_ERROR, PayloadTooLargeError } from '../../lib/protocol/index.js';
import type { FunctionServer } from '../../lib/runtime/server.js';
import { echoContracts, echoFunctions, produced } from '../fixtures/echo.js';
import { NATS_URL } from '../helpers/env.js';
import { startReplica, type TestClient, testClient } from '../helpers/replicas.js';

const contracts = echoContracts();
const fns = echoFunctions(contracts);
const replicas: FunctionServer[] = [];
let t: TestClient<typeof contracts>;
let raw: NatsConnection;

beforeAll(async () => {
  for (let i = 0; i < 3; i++) replicas.push(await startReplica(fns.echo));
  replicas.push(await startReplica(fns.count), await startReplica(fns.tone));
  t = await testClient(contracts);
  raw = await connect({ servers: NATS_URL });
});

afterAll(async () => {
  await t?.close();
  await raw?.close();
  await Promise.all(replicas.map((r) => r.stop(1_000)));
});

describe('unary over NATS', () => {
  it('answers a call and says it came over NATS', async () => {
    const res = await t.client.call('echo', { text: 'hello' });
    expect(res.text).toBe('hello');
    expect(res.transport).toBe('nats');
  });

  it('spreads 300 requests over 3 replicas of one queue group: each gets some, none lost, none duplicated', async () => {
    const texts = Array.from({ length: 300 }, (_, i) => `req-${i}`);
    const results = await Promise.all(texts.map((text) => t.client.call('echo', { text })));
    expect(results.map((r) => r.text)).toEqual(texts);
    const perReplica = new Map<string, number>();
    for (const r of results) perReplica.set(r.replica, (perReplica.get(r.replica) ?? 0) + 1);
    expect(perReplica.size).toBe(3);
    for (const n of perReplica.values()) expect(n).toBeGreaterThan(0);
    const handled = replicas.slice(0, 3).map((r) => r.runtime.inflightCount);
    expect(handled).toEqual([0, 0, 0]);
  });
});

describe('streams over NATS', () => {
  it('delivers 100 chunks complete and in order', async () => {
    const requestId = randomUUID();
    const got: number[] = [];
    const stream = t.client.stream('count', { requestId, count: 100, intervalMs: 0 });
    for await (const chunk of stream) got.push(chunk.i);
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(stream.transport).toBe('nats');
  });

  it('streams binary chunks with the Arc-Sample-Rate header', async () => {
    const stream = t.client.stream('tone', { requestId: randomUUID(), chunks: 5, bytes: 640 });
    const chunks: Uint8Array[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks).toHaveLength(5);
    expect(chunks.every((c) => c.byteLength === 640)).toBe(true);
    expect(chunks[3]?.[0]).toBe(3);
    expect(stream.headers['Arc-Sample-Rate']).toBe('16000');
  });

  it('cancel mid-stream stops the producer: at most one chunk is produced after the cancel is seen', async () => {
    const requestId = randomUUID();
    const stream = t.client.stream('count', { requestId, count: 1_000, intervalMs: 10 });
    let received = 0;
    for await (const _ of stream) {
      if (++received === 5) {
        stream.cancel();
      }
    }
    const atCancel = produced.get(requestId) ?? 0;
    await new Promise((r) => setTimeout(r, 200)); // 20 more intervals: a producer still running would show
    const after = (produced.get(requestId) ?? 0) - atCancel;
    expect(received).toBe(5);
    expect(after).toBeLessThanOrEqual(1);
    expect(produced.get(requestId)).toBeLessThan(10);
  });

  it('a failure mid-stream reaches the caller as a typed error after the chunks before it', async () => {
    const got: number[] = [];
    const run = async () => {
      for await (const c of t.client.stream('count', { requestId: randomUUID(), count: 10, failAt: 3 })) got.push(c.i);
    };
    await expect(run()).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining('failed at chunk 3'),
    });
    expect(got).toEqual([0, 1, 2]);
  });

  it('an empty stream ends cleanly', async () => {
    const got: unknown[] = [];
    for await (const c of t.client.stream('count', { requestId: randomUUID(), count: 0 })) got.push(c);
    expect(got).toEqual([]);
  });
});

describe('bad input gets a typed error reply and the function keeps serving', () => {
  async function rawRequest(subject: string, body: Uint8Array) {
    const msg = await raw.request(subject, body, { timeout: 2_000, headers: headers() });
    expect(msg.headers?.get(HDR_ERROR)).toBeTruthy();
    return { code: msg.headers?.get(HDR_ERROR), body: msg.json<{ code: string; message: string }>() };
  }

  it('malformed JSON → bad_request', async () => {
    const r = await rawRequest(contracts.echo.subject, new TextEncoder().encode('{"text": "unterminated'));
    expect(r.code).toBe('bad_request');
    expect(r.body.message).toMatch(/not valid JSON/);
  });

  it('missing field → invalid_request naming the field', async () => {
    const r = await rawRequest(contracts.echo.subject, encodeJson({ delayMs: 1 }));
    expect(r.code).toBe('invalid_request');
    expect(r.body.message).toMatch(/text/);
  });

  it('payload over the function limit → payload_too_large', async () => {
    const r = await rawRequest(contracts.echo.subject, encodeJson({ text: 'x'.repeat(100_000) }));
    expect(r.code).toBe('payload_too_large');
  });

  it('a stream request with bad input → typed error on the stream', async () => {
    const run = async () => {
      for await (const _ of t.client.stream('count', { requestId: 'bad id with spaces', count: 1 } as never)) {
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('a request over 1 MB is refused by the client with payload_too_large, before sending', async () => {
    const big = { text: 'y'.repeat(1_100_000) };
    await expect(t.client.call('echo', big)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('still serves after all of that', async () => {
    const res = await t.client.call('echo', { text: 'still here' });
    expect(res.text).toBe('still here');
  });

  it('a typed error is an ArcError with code, retryable and message', async () => {
    const err = await t.client.call('echo', { text: '' }).catch((e) => e);
    expect(err).toBeInstanceOf(ArcError);
    expect(err.code).toBe('invalid_request');
    expect(err.retryable).toBe(false);
  });
});
