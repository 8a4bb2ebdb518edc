// The local-mode WebSocket under bad input: each case gets a typed error then a 4xxx close, and the gateway
// keeps serving (health answers, a well-behaved client still gets a session).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WS_CLOSE, WS_PATH } from '../../lib/protocol/index.js';
import { ScriptedSessions, startTestGateway, type TestGateway } from './helpers.js';

const sessions = new ScriptedSessions();
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    local: sessions,
    limits: { helloTimeoutMs: 300, connections: { perMinute: 6000, burst: 1000 } },
  });
});

afterAll(async () => {
  await gw?.close();
});

async function stillServing(): Promise<void> {
  const res = await fetch(`${gw.url}/api/config`);
  expect(res.status).toBe(200);
}

describe('local-mode WebSocket, bad input', () => {
  it('a well-behaved client: hello → ready, PCM in, agent PCM and events out, mute, bye → 1000', async () => {
    const s = await gw.ws();
    s.hello('alice', 16000);
    const ready = await s.next('ready');
    expect(ready).toMatchObject({ sessionId: expect.any(String), sampleRate: 24000 });
    const session = sessions.opened.find((o) => o.sessionId === ready.sessionId);
    expect(session?.userId).toBe('alice');
    const frame = new Int16Array(320).fill(1000);
    s.send(Buffer.from(frame.buffer));
    await expect.poll(() => session?.pcm.length).toBe(1);
    expect(session?.pcm[0]?.[0]).toBe(1000);
    s.send({ type: 'mute', muted: true });
    s.send(Buffer.from(frame.buffer));
    await expect.poll(() => session?.pcm.length).toBe(2);
    expect(session?.pcm[1]?.every((v) => v === 0)).toBe(true); // muted: the agent hears silence
    session?.listener.audio(new Int16Array([1, 2, 3]), 24000);
    session?.listener.clear();
    await expect.poll(() => s.audio.length).toBe(1);
    expect([...new Int16Array(new Uint8Array(s.audio[0] as Buffer).buffer)]).toEqual([1, 2, 3]);
    await s.next('clear');
    expect(s.messages.some((m) => m.type === 'event' && m.event.type === 'session')).toBe(true);
    s.send({ type: 'bye' });
    expect((await s.closed).code).toBe(WS_CLOSE.normal);
    expect(session?.closed).toBe('hung up');
  });

  it.each([
    ['text that is not JSON', 'hello there ???', 'bad_request', WS_CLOSE.bad_request],
    ['JSON of an unknown type', { type: 'dance' }, 'invalid_request', WS_CLOSE.invalid_request],
    [
      'a hello without a user',
      { type: 'hello', userId: '', sampleRate: 16000 },
      'invalid_request',
      WS_CLOSE.invalid_request,
    ],
    ['audio before hello', Buffer.alloc(640), 'bad_request', WS_CLOSE.bad_request],
    [
      'a wrong sample rate',
      { type: 'hello', userId: 'a', sampleRate: 22050 },
      'unsupported_audio',
      WS_CLOSE.unsupported_audio,
    ],
    ['a 10 MB text frame', 'x'.repeat(10 * 1024 * 1024), 'payload_too_large', WS_CLOSE.payload_too_large],
  ])('%s → %s, close %i', async (_what, payload, code, close) => {
    const s = await gw.ws();
    s.send(payload);
    const f = await s.failure();
    expect(f).toMatchObject({ code, close });
    expect(f.message.length).toBeGreaterThan(10);
    await stillServing();
  });

  it('a wrong sample rate names the supported ones', async () => {
    const s = await gw.ws();
    s.hello('a', 22050);
    expect((await s.failure()).message).toMatch(/22050 Hz is not supported \(use 8000, 16000, 24000, 44100, 48000\)/);
  });

  it.each([
    ['a 10 MB audio frame', Buffer.alloc(10 * 1024 * 1024), 'payload_too_large', WS_CLOSE.payload_too_large],
    ['a 100 KB audio frame', Buffer.alloc(100 * 1024), 'payload_too_large', WS_CLOSE.payload_too_large],
    ['an odd number of bytes', Buffer.alloc(641), 'bad_request', WS_CLOSE.bad_request],
    ['4 s of 8 kHz audio in one frame', Buffer.alloc(64_000), 'unsupported_audio', WS_CLOSE.unsupported_audio],
    [
      'a second hello',
      JSON.stringify({ type: 'hello', userId: 'a', sampleRate: 16000 }),
      'bad_request',
      WS_CLOSE.bad_request,
    ],
  ])('after hello, %s → %s, close %i; the session is ended', async (_what, payload, code, close) => {
    const s = await gw.ws();
    s.hello('bob', 8000);
    const { sessionId } = await s.next('ready');
    s.send(payload);
    expect(await s.failure()).toMatchObject({ code, close });
    await expect.poll(() => sessions.opened.find((o) => o.sessionId === sessionId)?.closed).toBe(code);
    await stillServing();
  });

  it('a frame above the 16 MiB hard cap is refused by the ws library before buffering (1009)', async () => {
    const s = await gw.ws();
    s.hello();
    await s.next('ready');
    s.send(Buffer.alloc(17 * 1024 * 1024));
    expect((await s.closed).code).toBe(1009);
    await stillServing();
  });

  it('invalid UTF-8 in a text frame closes with 1007 and nothing breaks', async () => {
    const s = await gw.ws();
    s.ws.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false });
    expect((await s.closed).code).toBe(1007);
    await stillServing();
  });

  it('no hello in time → timeout, close 4408', async () => {
    const s = await gw.ws();
    expect(await s.failure()).toMatchObject({ code: 'timeout', close: WS_CLOSE.hello_timeout });
  });

  it('a client that vanishes mid-call ends its session', async () => {
    const s = await gw.ws();
    s.hello('carol');
    const { sessionId } = await s.next('ready');
    s.ws.terminate();
    await expect.poll(() => sessions.opened.find((o) => o.sessionId === sessionId)?.closed).toBe('client disconnected');
  });

  it('a WebSocket on another path is refused at the handshake; a plain GET of the endpoint says what it is', async () => {
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/elsewhere`);
        ws.on('open', resolve);
        ws.on('error', reject);
      }),
    ).rejects.toThrow(/404/);
    const res = await fetch(`${gw.url}${WS_PATH}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/WebSocket endpoint/);
  });
});

describe('local-mode WebSocket, limits', () => {
  it('more sessions than allowed → busy, close 4429', async () => {
    const few = new ScriptedSessions();
    const g = await startTestGateway({ local: few, limits: { maxSessions: 1 } });
    try {
      const a = await g.ws();
      a.hello();
      await a.next('ready');
      const b = await g.ws();
      expect(await b.failure()).toMatchObject({ code: 'busy', close: WS_CLOSE.busy });
      a.send({ type: 'bye' });
      await a.closed;
      const c = await g.ws();
      c.hello();
      await c.next('ready'); // room again once the first hung up
    } finally {
      await g.close();
    }
  });

  it('too many connections from one address → busy, close 4429', async () => {
    const g = await startTestGateway({
      local: new ScriptedSessions(),
      limits: { connections: { perMinute: 1, burst: 3 } },
    });
    try {
      for (let i = 0; i < 3; i++) (await g.ws()).hello();
      const f = await (await g.ws()).failure();
      expect(f).toMatchObject({ code: 'busy', close: WS_CLOSE.busy });
      expect(f.message).toMatch(/too many connections from 127\.0\.0\.1/);
    } finally {
      await g.close();
    }
  });

  it('the standalone gateway (room mode only) answers with a clear "local mode is not available here"', async () => {
    const g = await startTestGateway({});
    try {
      const f = await (await g.ws()).failure();
      expect(f).toMatchObject({ code: 'unavailable', close: WS_CLOSE.unavailable });
      expect(f.message).toMatch(/local mode is not available here/);
    } finally {
      await g.close();
    }
  });
});
