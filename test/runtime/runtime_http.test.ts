// The OpenFaaS-style HTTP surface of a replica, spoken to with plain fetch as any HTTP client would.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { SseParser } from '../../lib/protocol/index.js';
import { defineFunction } from '../../lib/runtime/define.js';
import { type FunctionServer, startFunctionServer } from '../../lib/runtime/server.js';
import { sleep } from '../../lib/util/abort.js';
import { echoContracts, echoFunctions, produced } from '../fixtures/echo.js';
import { freePort, testConfig, testLogger } from '../helpers/env.js';

const contracts = echoContracts();
const fns = echoFunctions(contracts);
const log = testLogger();
const servers: FunctionServer[] = [];
let echo: string;
let count: string;
let tone: string;

async function serveHttp(definition: Parameters<typeof startFunctionServer>[0], port = 0) {
  const s = await startFunctionServer(definition, {
    config: testConfig(),
    log,
    port,
    host: '127.0.0.1',
    nats: NatsLink.offline(log),
    natsWaitMs: 0,
  });
  servers.push(s);
  return s.url as string;
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  });

beforeAll(async () => {
  echo = await serveHttp(fns.echo);
  count = await serveHttp(fns.count);
  tone = await serveHttp(fns.tone);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop(500)));
});

describe('workload contract', () => {
  it('GET /_/health and /_/ready answer 200 with the function name', async () => {
    const health = await fetch(`${echo}/_/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', function: 'echo' });
    const ready = await fetch(`${echo}/_/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, nats: 'disconnected' });
  });

  it('POST / and POST /function/<name> both invoke; another name is a typed 404', async () => {
    expect(await (await post(`${echo}/`, { text: 'a' })).json()).toMatchObject({ text: 'a', transport: 'http' });
    expect(await (await post(`${echo}/function/echo`, { text: 'b' })).json()).toMatchObject({ text: 'b' });
    const other = await post(`${echo}/function/brain`, { text: 'c' });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: 'not_found' });
  });

  it('GET /metrics exposes the request counters in Prometheus format', async () => {
    const text = await (await fetch(`${echo}/metrics`)).text();
    expect(text).toMatch(/arc_function_requests_total\{function="echo",transport="http",outcome="ok"\} \d+/);
  });

  it('/_/ready is 503 while setup loads models and 200 after; /_/health is 200 throughout', async () => {
    let finishSetup: () => void = () => {};
    const slow = defineFunction(contracts.echo, async () => {
      await new Promise<void>((r) => {
        finishSetup = r;
      });
      return { handle: async (req) => ({ text: req.text, replica: 'slow', transport: 'http' }) };
    });
    const port = await freePort();
    const starting = serveHttp(slow, port);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/_/health`);
    expect((await fetch(`${base}/_/ready`)).status).toBe(503);
    const early = await post(base, { text: 'too early' });
    expect(early.status).toBe(503);
    expect(await early.json()).toMatchObject({ code: 'unavailable' });
    finishSetup();
    await starting;
    expect((await fetch(`${base}/_/ready`)).status).toBe(200);
  });
});

describe('bad input over HTTP gets a typed error and the replica keeps serving', () => {
  it('malformed JSON → 400 bad_request with the Arc-Error header', async () => {
    const res = await post(echo, '{"text":');
    expect(res.status).toBe(400);
    expect(res.headers.get('arc-error')).toBe('bad_request');
    expect(await res.json()).toMatchObject({ code: 'bad_request' });
  });

  it('a missing field → 422 invalid_request naming it', async () => {
    const res = await post(echo, { delayMs: 3 });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.code).toBe('invalid_request');
    expect(body.details.issues[0].path).toBe('text');
  });

  it('a body over the limit → 413, whether announced by Content-Length or streamed chunked', async () => {
    const declared = await post(echo, { text: 'z'.repeat(200_000) });
    expect(declared.status).toBe(413);
    const chunked = await rawChunkedPost(`${echo}/`, 'z'.repeat(200_000));
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ code: 'payload_too_large' });
  });

  it('still serves', async () => {
    expect((await post(echo, { text: 'ok' })).status).toBe(200);
  });
});

describe('streams over HTTP', () => {
  it('binary: a raw audio/L16 chunked body with the sample rate in the content type', async () => {
    const res = await post(tone, { requestId: randomUUID(), chunks: 4, bytes: 320 });
    expect(res.headers.get('content-type')).toBe('audio/L16; rate=16000; channels=1');
    expect(res.headers.get('arc-sample-rate')).toBe('16000');
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.byteLength).toBe(4 * 320);
    expect([body[0], body[320], body[640], body[960]]).toEqual([0, 1, 2, 3]);
  });

  it('JSON: ndjson lines by default', async () => {
    const res = await post(count, { requestId: randomUUID(), count: 3 });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(
      (await res.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
  });

  it('SSE when asked: numbered chunk events, then end', async () => {
    const res = await post(count, { requestId: randomUUID(), count: 2 }, { Accept: 'text/event-stream' });
    const events = new SseParser().feed(await res.text());
    expect(events).toEqual([
      { event: 'chunk', id: '0', data: '{"i":0}' },
      { event: 'chunk', id: '1', data: '{"i":1}' },
      { event: 'end', id: '2', data: '' },
    ]);
  });

  it('SSE: a failure mid-stream is a typed error event after the chunks before it', async () => {
    const res = await post(count, { requestId: randomUUID(), count: 5, failAt: 2 }, { Accept: 'text/event-stream' });
    const events = new SseParser().feed(await res.text());
    expect(events.map((e) => e.event)).toEqual(['chunk', 'chunk', 'error']);
    expect(JSON.parse(events[2]?.data ?? '{}')).toMatchObject({ code: 'internal' });
  });

  it('an error before the first chunk is a real status code, not a 200 with a broken body', async () => {
    const res = await post(count, { requestId: 'not valid!', count: 1 });
    expect(res.status).toBe(422);
  });

  it('the client going away mid-stream stops the producer', async () => {
    const requestId = randomUUID();
    const controller = new AbortController();
    const res = await fetch(count, {
      method: 'POST',
      body: JSON.stringify({ requestId, count: 1_000, intervalMs: 10 }),
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    await reader?.read();
    controller.abort();
    await sleep(100);
    const atAbort = produced.get(requestId) ?? 0;
    await sleep(200);
    expect((produced.get(requestId) ?? 0) - atAbort).toBeLessThanOrEqual(1);
    expect(atAbort).toBeLessThan(30);
  });
});

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(20);
    }
  }
  throw new Error(`${url} never answered`);
}

/** A POST with Transfer-Encoding: chunked and no Content-Length, so only streaming counting can catch it. */
function rawChunkedPost(url: string, text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    const json = JSON.stringify({ text });
    for (let i = 0; i < json.length; i += 16_384) req.write(json.slice(i, i + 16_384));
    req.end();
  });
}
