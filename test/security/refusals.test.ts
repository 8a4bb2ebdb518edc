// What must be refused is refused: an expired LiveKit token, a token for another room, a token request without
// an API key (or for an identity the auth hook did not sign in), and a function call without credentials —
// directly to a replica and through the gateway. (A NATS publish on a foreign subject: nats_permissions.test.ts.)
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FunctionClient } from '../../lib/bus/client.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { createParticipantToken, verifyParticipantToken } from '../../lib/livekit/token.js';
import { type ArcError, HDR_ERROR } from '../../lib/protocol/index.js';
import { basicAuthHeader } from '../../lib/runtime/basic-auth.js';
import { type FunctionServer, startFunctionServer } from '../../lib/runtime/server.js';
import { echoContracts, echoFunctions } from '../fixtures/echo.js';
import { startTestGateway, type TestGateway } from '../gateway/helpers.js';
import { testConfig, testLogger } from '../helpers/env.js';

const LIVEKIT = {
  LIVEKIT_URL: 'ws://127.0.0.1:7880',
  LIVEKIT_API_KEY: 'APIsecurity',
  LIVEKIT_API_SECRET: 's'.repeat(32),
};
const livekit = { url: LIVEKIT.LIVEKIT_URL, apiKey: LIVEKIT.LIVEKIT_API_KEY, apiSecret: LIVEKIT.LIVEKIT_API_SECRET };
const API_KEY = 'k'.repeat(40);
const AUTH = { BASIC_AUTH_USER: 'arc-functions', BASIC_AUTH_PASSWORD: 'p'.repeat(32) };
const log = testLogger('security');
const contracts = echoContracts();

let replica: FunctionServer;
let keyed: TestGateway;
let hooked: TestGateway;

async function rejected(p: Promise<unknown>): Promise<ArcError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'should have been refused').toBeDefined();
  return err as ArcError;
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  const config = testConfig({ ...AUTH });
  replica = await startFunctionServer(echoFunctions(contracts).echo, {
    config,
    log,
    port: 0,
    host: '127.0.0.1',
    nats: NatsLink.offline(log),
    natsWaitMs: 0,
  });
  keyed = await startTestGateway({
    env: { ...LIVEKIT, ...AUTH, GATEWAY_API_KEYS: `${'x'.repeat(32)},${API_KEY}` },
    functionRoute: (_name, path) => `${replica.url}${path === '' ? '/' : path}`,
  });
  // A pluggable hook: here, a session cookie naming the signed-in user.
  hooked = await startTestGateway({
    env: LIVEKIT,
    tokenAuth: (req) => {
      const user = /(?:^|;\s*)session=user-([a-z]+)/.exec(req.headers.get('cookie') ?? '')?.[1];
      return user ? { identity: user } : null;
    },
  });
});

afterAll(async () => {
  await keyed?.close();
  await hooked?.close();
  await replica?.stop(500);
  vi.useRealTimers();
});

describe('LiveKit tokens', () => {
  it('an expired token is refused (unauthorized), one second after its TTL', async () => {
    const { token, expiresAt } = await createParticipantToken(livekit, {
      identity: 'alice',
      room: 'room-1',
      ttlSeconds: 60,
    });
    await expect(verifyParticipantToken(livekit, token, { room: 'room-1' })).resolves.toMatchObject({ room: 'room-1' });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(expiresAt + 1_000);
    const err = await rejected(verifyParticipantToken(livekit, token, { room: 'room-1' }));
    vi.useRealTimers();
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/expired/);
  });

  it('a token for another room is refused (forbidden), and so is one for another identity', async () => {
    const { token } = await createParticipantToken(livekit, { identity: 'alice', room: 'room-1' });
    const room = await rejected(verifyParticipantToken(livekit, token, { room: 'room-2' }));
    expect(room.code).toBe('forbidden');
    const who = await rejected(verifyParticipantToken(livekit, token, { room: 'room-1', identity: 'mallory' }));
    expect(who.code).toBe('forbidden');
  });

  it('tokens are short-lived: 10 minutes by default, never more than an hour', async () => {
    const t = await createParticipantToken(livekit, { identity: 'alice', room: 'room-1' });
    expect(t.expiresAt - Date.now()).toBeLessThanOrEqual(600_000);
    expect((await rejected(createParticipantToken(livekit, { identity: 'a', room: 'r', ttlSeconds: 7200 }))).code).toBe(
      'invalid_request',
    );
  });
});

describe('POST /api/token', () => {
  it('with API keys configured: no key or a wrong key → 401; a right key (Bearer or X-Api-Key) → a token', async () => {
    const body = { room: 'room-7', identity: 'alice' };
    const none = await post(`${keyed.url}/api/token`, body);
    expect(none.status).toBe(401);
    expect(none.headers.get(HDR_ERROR)).toBe('unauthorized');
    expect((await post(`${keyed.url}/api/token`, body, { authorization: `Bearer ${'y'.repeat(40)}` })).status).toBe(
      401,
    );
    expect((await post(`${keyed.url}/api/token`, body, { 'x-api-key': API_KEY.slice(1) })).status).toBe(401);
    for (const headers of [{ authorization: `Bearer ${API_KEY}` }, { 'x-api-key': API_KEY }] as Record<
      string,
      string
    >[]) {
      const ok = await post(`${keyed.url}/api/token`, body, headers);
      expect(ok.status).toBe(200);
      const { token } = (await ok.json()) as { token: string };
      await expect(
        verifyParticipantToken(livekit, token, { room: 'room-7', identity: 'alice' }),
      ).resolves.toBeDefined();
    }
  });

  it('with an auth hook: not signed in → 401; a token for someone else → 403; for oneself → 200', async () => {
    expect((await post(`${hooked.url}/api/token`, { identity: 'alice' })).status).toBe(401);
    const other = await post(`${hooked.url}/api/token`, { identity: 'bob' }, { cookie: 'session=user-alice' });
    expect(other.status).toBe(403);
    expect(other.headers.get(HDR_ERROR)).toBe('forbidden');
    const own = await post(`${hooked.url}/api/token`, { identity: 'alice' }, { cookie: 'session=user-alice' });
    expect(own.status).toBe(200);
  });

  it('identities and rooms are validated before anything is signed', async () => {
    const bad = await post(`${keyed.url}/api/token`, { room: 'a.b', identity: 'alice' }, { 'x-api-key': API_KEY });
    expect(bad.status).toBe(422);
    const badId = await post(`${keyed.url}/api/token`, { identity: 'al ice' }, { 'x-api-key': API_KEY });
    expect(badId.status).toBe(422);
  });
});

describe('function HTTP endpoints behind basic auth', () => {
  const request = { text: 'hello' };

  it('a call without credentials, or with wrong ones, is refused 401 with a typed error; probes stay open', async () => {
    const none = await post(`${replica.url}/`, request);
    expect(none.status).toBe(401);
    expect(none.headers.get(HDR_ERROR)).toBe('unauthorized');
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
    const wrong = await post(`${replica.url}/function/echo`, request, {
      authorization: basicAuthHeader({ user: AUTH.BASIC_AUTH_USER, password: 'nope' }),
    });
    expect(wrong.status).toBe(401);
    const right = await post(`${replica.url}/`, request, {
      authorization: basicAuthHeader({ user: AUTH.BASIC_AUTH_USER, password: AUTH.BASIC_AUTH_PASSWORD }),
    });
    expect(right.status).toBe(200);
    expect((await fetch(`${replica.url}/_/health`)).status).toBe(200);
    expect((await fetch(`${replica.url}/_/ready`)).status).toBe(200);
  });

  it('FunctionClient sends the credentials it is given; without them the call fails with `unauthorized`', async () => {
    const http = () => replica.url;
    const withAuth = new FunctionClient({
      log,
      http,
      contracts,
      httpAuth: { user: AUTH.BASIC_AUTH_USER, password: AUTH.BASIC_AUTH_PASSWORD },
    });
    await expect(withAuth.call('echo', request)).resolves.toMatchObject({ text: 'hello', transport: 'http' });
    const without = new FunctionClient({ log, http, contracts });
    expect((await rejected(without.call('echo', request))).code).toBe('unauthorized');
  });

  it('through the gateway (/function/<name>), as on OpenFaaS: 401 without credentials, passed on with them', async () => {
    const none = await post(`${keyed.url}/function/embed`, request);
    expect(none.status).toBe(401);
    const right = await post(`${keyed.url}/function/embed`, request, {
      authorization: basicAuthHeader({ user: AUTH.BASIC_AUTH_USER, password: AUTH.BASIC_AUTH_PASSWORD }),
    });
    // The route sends every name to the echo replica here: the credentials reached it and it answered.
    expect(right.status).toBe(200);
  });
});
