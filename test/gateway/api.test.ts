// The gateway's HTTP side against real parts: token (LiveKit keys), health over real function replicas, NATS
// and PGlite, the /function proxy to a real embed replica, agent events as SSE from NATS, the memory API on a
// real store — and what each answers to bad input.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import embedDefinition from '../../functions/embed/handler.js';
import { FunctionClient } from '../../lib/bus/client.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import {
  type Database,
  endSession,
  incrementTurnCount,
  insertConversation,
  openDatabase,
  upsertSessionStart,
} from '../../lib/db/index.js';
import { embeddingSpecFromConfig } from '../../lib/engines/embedding/index.js';
import { verifyParticipantToken } from '../../lib/livekit/token.js';
import { type AgentEvent, agentEventsSubject } from '../../lib/protocol/index.js';
import type { FunctionRuntime } from '../../lib/runtime/runtime.js';
import { type FunctionServer, startFunctionServer } from '../../lib/runtime/server.js';
import { testDatabase } from '../brain/helpers/db.js';
import { NATS_URL, testConfig, testLogger } from '../helpers/env.js';
import { retryWasmRace, startTestGateway, type TestGateway } from './helpers.js';

const LIVEKIT = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'x'.repeat(32) };
const log = testLogger('api-test');
let dbHost: Awaited<ReturnType<typeof testDatabase>>;
let db: Database;
let embed: FunctionServer;
let link: NatsLink;
let gw: TestGateway;
let notReady: Server;
let notReadyPort: number;
const alice = `alice-${randomUUID().slice(0, 6)}`;
const mallory = `mallory-${randomUUID().slice(0, 6)}`;
const sessionId = `s-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  dbHost = await testDatabase();
  const config = testConfig({ DATABASE_URL: dbHost.url, ...LIVEKIT });
  db = await openDatabase({ config, log, spec: embeddingSpecFromConfig(config) });
  const offline = NatsLink.offline(log);
  const local = new Map<string, FunctionRuntime>();
  const client = new FunctionClient({ log, local });
  embed = await retryWasmRace(() =>
    startFunctionServer(embedDefinition, {
      config,
      log,
      port: 0,
      host: '127.0.0.1',
      nats: offline,
      client,
      natsWaitMs: 0,
    }),
  );
  local.set('embed', embed.runtime as FunctionRuntime);
  link = new NatsLink({ servers: NATS_URL, name: 'api-test', log });
  await link.ready();
  notReady = createServer((_req, res) =>
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"loading models"}'),
  );
  await new Promise<void>((r) => notReady.listen(0, '127.0.0.1', r));
  notReadyPort = (notReady.address() as { port: number }).port;

  // One finished session of alice's with two turns.
  const { vectors } = await client.call('embed', { texts: ['my favourite colour is green', 'Green it is.'] });
  const t0 = Date.now() - 65_000;
  await upsertSessionStart(db.pool, { id: sessionId, userId: alice, startTime: new Date(t0).toISOString() });
  for (const [i, [role, text]] of (
    [
      ['user', 'my favourite colour is green'],
      ['assistant', 'Green it is.'],
    ] as const
  ).entries()) {
    await insertConversation(db.pool, {
      id: `${sessionId}-${i}`,
      userId: alice,
      sessionId,
      role,
      text,
      interrupted: false,
      embedding: vectors[i] as number[],
      createdAt: new Date(t0 + 1000 * (i + 1)).toISOString(),
    });
    await incrementTurnCount(db.pool, sessionId);
  }
  await endSession(db.pool, sessionId, new Date(t0 + 62_000).toISOString());

  gw = await startTestGateway({
    env: { DATABASE_URL: dbHost.url, ...LIVEKIT },
    nats: link,
    client,
    db: { query: db.pool.query.bind(db.pool), ping: () => db.ping() },
    functions: [{ name: 'embed', readyUrl: `${embed.url}/_/ready` }],
    functionRoute: (name, path) =>
      name === 'embed' ? `${embed.url}${path || '/function/embed'}` : 'http://127.0.0.1:9/',
    limits: { maxFunctionBodyBytes: 4096 },
  });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await embed?.stop(1_000);
  await link?.close();
  notReady?.close();
  await db?.close();
  await dbHost?.dispose();
});

const post = (path: string, body: string | object, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /api/token', () => {
  it('signs a token for one room and identity that dispatches the agent', async () => {
    const res = await post('/api/token', { identity: alice, room: 'kitchen-1' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; url: string; room: string };
    expect(body).toMatchObject({ url: LIVEKIT.LIVEKIT_URL, room: 'kitchen-1' });
    const v = await verifyParticipantToken(
      { apiKey: LIVEKIT.LIVEKIT_API_KEY, apiSecret: LIVEKIT.LIVEKIT_API_SECRET },
      body.token,
      { room: 'kitchen-1', identity: alice },
    );
    expect(v.dispatches).toEqual(['arc-daredevil']);
  });

  it('makes a fresh room when none is named', async () => {
    const body = (await (await post('/api/token', { identity: 'bob' })).json()) as { room: string };
    expect(body.room).toMatch(/^arc-[0-9a-f-]{12}$/);
  });

  it.each([
    ['an invalid room name', { identity: 'bob', room: 'kitchen/../admin' }, 422, /room must be 1–64 characters/],
    ['a room name of 65 characters', { identity: 'bob', room: 'r'.repeat(65) }, 422, /room must be/],
    ['an invalid identity', { identity: 'bob smith', room: 'ok' }, 422, /identity must be/],
    ['no identity', { room: 'ok' }, 422, /identity/],
    ['a body that is not JSON', 'room=ok', 400, /not valid JSON/],
  ])('%s → %i with a clear message', async (_what, body, status, message) => {
    const res = await post('/api/token', body);
    expect(res.status).toBe(status);
    const err = (await res.json()) as { code: string; message: string };
    expect(err.message).toMatch(message);
  });

  it('a 1 MB body → 413 before it is read', async () => {
    const res = await post('/api/token', { identity: 'x', room: 'y'.repeat(1024 * 1024) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('payload_too_large');
  });

  it('without LiveKit keys: a bad room is still a bad room (422); a good one says room mode is not configured (503)', async () => {
    const bare = await startTestGateway({});
    try {
      const bad = await fetch(`${bare.url}/api/token`, {
        method: 'POST',
        body: JSON.stringify({ identity: 'a', room: 'no room!' }),
      });
      expect(bad.status).toBe(422);
      const good = await fetch(`${bare.url}/api/token`, {
        method: 'POST',
        body: JSON.stringify({ identity: 'a', room: 'ok' }),
      });
      expect(good.status).toBe(503);
      expect(((await good.json()) as { message: string }).message).toMatch(/LIVEKIT_API_KEY/);
    } finally {
      await bare.close();
    }
  });

  it('is rate limited per address: 429 with Retry-After', async () => {
    const g = await startTestGateway({ env: LIVEKIT, limits: { token: { perMinute: 6, burst: 3 } } });
    try {
      const codes: number[] = [];
      let retry: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${g.url}/api/token`, {
          method: 'POST',
          body: JSON.stringify({ identity: 'rl', room: 'rl' }),
        });
        codes.push(res.status);
        if (res.status === 429) retry = res.headers.get('retry-after');
      }
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      expect(Number(retry)).toBeGreaterThan(0);
    } finally {
      await g.close();
    }
  });
});

describe('GET /api/health', () => {
  it('ok when the functions are ready, NATS is connected and the database answers', async () => {
    const res = await fetch(`${gw.url}/api/health`);
    const body = (await res.json()) as { status: string; checks: Record<string, unknown> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.checks).toMatchObject({
      functions: { embed: { status: 'ok' } },
      nats: { status: 'ok' },
      database: { status: 'ok' },
    });
  });

  it('503 naming the function that is not ready, or unreachable', async () => {
    const g = await startTestGateway({
      nats: link,
      functions: [
        { name: 'brain', readyUrl: `http://127.0.0.1:${notReadyPort}/_/ready` },
        { name: 'tts', readyUrl: 'http://127.0.0.1:9/_/ready' },
      ],
    });
    try {
      const res = await fetch(`${g.url}/api/health`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { status: string; checks: { functions: Record<string, { detail: string }> } };
      expect(body.status).toBe('down');
      expect(body.checks.functions.brain?.detail).toMatch(/503: loading models/);
      expect(body.checks.functions.tts?.detail).toMatch(/unreachable/);
    } finally {
      await g.close();
    }
  });
});

describe('/function/<name>: the functions HTTP fallback through the gateway', () => {
  it('invokes, and reads readiness under the function', async () => {
    const res = await post('/function/embed', { texts: ['hello'] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { dim: number; vectors: number[][] };
    expect(body.vectors[0]).toHaveLength(body.dim);
    expect((await fetch(`${gw.url}/function/embed/_/ready`)).status).toBe(200);
  });

  it.each([
    ['an unknown function', 'POST', '/function/nope', 404],
    ['GET on invoke', 'GET', '/function/embed', 404],
    ['another path under the function', 'GET', '/function/embed/metrics', 404],
    ['a function with nothing listening', 'POST', '/function/tts', 503],
  ])('%s → %i', async (_what, method, path, status) => {
    const res = await fetch(`${gw.url}${path}`, { method, body: method === 'POST' ? '{}' : undefined });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { code: string }).code).toBeTruthy();
  });

  it('a body over the limit → 413; a contract violation passes through as the function says (422)', async () => {
    expect((await post('/function/embed', { texts: ['x'.repeat(8000)] })).status).toBe(413);
    const bad = await post('/function/embed', { texts: 'not a list' });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('arc-error')).toBe('invalid_request');
  });
});

describe('GET /api/events/:sessionId (SSE from NATS agent.events.<id>)', () => {
  it('relays what the agent host publishes', async () => {
    const id = `room-${randomUUID().slice(0, 8)}`;
    const ctrl = new AbortController();
    const res = await fetch(`${gw.url}/api/events/${id}`, { signal: ctrl.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const read = async (until: RegExp) => {
      while (!until.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await read(/event: open/);
    const event: AgentEvent = { type: 'transcript', text: 'hello there', final: true, at: Date.now() };
    link.connection?.publish(agentEventsSubject(id), JSON.stringify(event));
    await read(/hello there/);
    expect(text).toMatch(/event: agent\ndata: \{"type":"transcript"/);
    ctrl.abort();
  });

  it('refuses ids that would widen the subject (wildcards, dots)', async () => {
    for (const id of ['*', '>', 'a.b', 'a%20b']) {
      expect((await fetch(`${gw.url}/api/events/${id}`)).status, id).toBe(422);
    }
  });
});

describe('memory API', () => {
  it('lists a user’s sessions with duration and turn count, and nobody else’s', async () => {
    const mine = (await (await fetch(`${gw.url}/api/memory/sessions?userId=${alice}`)).json()) as {
      sessions: { id: string; durationSeconds: number; turnCount: number; firstWords: string }[];
    };
    expect(mine.sessions).toEqual([
      expect.objectContaining({
        id: sessionId,
        durationSeconds: 62,
        turnCount: 2,
        firstWords: 'my favourite colour is green',
      }),
    ]);
    const theirs = (await (await fetch(`${gw.url}/api/memory/sessions?userId=${mallory}`)).json()) as {
      sessions: unknown[];
    };
    expect(theirs.sessions).toEqual([]);
  });

  it('searches by meaning within the user only', async () => {
    const hit = (await (
      await fetch(`${gw.url}/api/memory/search?userId=${alice}&q=${encodeURIComponent('which colour do I like')}`)
    ).json()) as {
      results: { text: string; similarity: number }[];
    };
    expect(hit.results[0]?.text).toBe('my favourite colour is green');
    const none = (await (await fetch(`${gw.url}/api/memory/search?userId=${mallory}&q=colour`)).json()) as {
      results: unknown[];
    };
    expect(none.results).toEqual([]);
  });

  it('exports JSON and Markdown; another user’s session is not found', async () => {
    const base = `${gw.url}/api/memory/sessions/${sessionId}/export`;
    const json = await fetch(`${base}?userId=${alice}&format=json`);
    expect(json.headers.get('content-disposition')).toMatch(/attachment; filename="arc-session-.*\.json"/);
    expect(((await json.json()) as { turns: unknown[] }).turns).toHaveLength(2);
    const md = await (await fetch(`${base}?userId=${alice}&format=md`)).text();
    expect(md).toContain(`# Conversation ${sessionId}`);
    expect(md).toContain('- Duration: 62 s');
    expect(md).toMatch(/\*\*You\*\* \(\d\d:\d\d:\d\d\): my favourite colour is green/);
    expect((await fetch(`${base}?userId=${mallory}&format=md`)).status).toBe(404);
  });

  it.each([
    ['/api/memory/sessions', 422],
    ['/api/memory/sessions?userId=a&limit=100000', 422],
    ['/api/memory/search?userId=a', 422],
    [`/api/memory/search?userId=a&q=${'x'.repeat(600)}`, 422],
    ['/api/memory/sessions/a.b/export?userId=a', 422],
    [`/api/memory/sessions/${sessionId}/export?userId=${'a'}&format=pdf`, 422],
  ])('%s → %i', async (path, status) => {
    const res = await fetch(`${gw.url}${path}`);
    expect(res.status).toBe(status);
  });

  it('without a database: 503 saying what to set', async () => {
    const bare = await startTestGateway({});
    try {
      const res = await fetch(`${bare.url}/api/memory/sessions?userId=a`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { message: string }).message).toMatch(/DATABASE_URL/);
    } finally {
      await bare.close();
    }
  });
});

describe('static files', () => {
  it('serves the page and nothing outside the web root', async () => {
    expect((await fetch(`${gw.url}/`)).status).toBe(200);
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/etc/passwd']) {
      expect((await fetch(`${gw.url}${path}`)).status, path).toBe(404);
    }
    const memory = await fetch(`${gw.url}/memory`);
    expect(memory.status).toBe(503); // this web root has no memory.html
    expect(await memory.text()).toMatch(/npm run build/);
  });
});
