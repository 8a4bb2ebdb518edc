// A gateway on a free port for tests, with a scripted local-session host standing in for the agent host.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { GatewayLimits, GatewayOptions } from '../../gateway/app.js';
import type { LocalSessionHandle, LocalSessionListener, LocalSessions } from '../../gateway/local-sessions.js';
import { type GatewayServer, startGateway } from '../../gateway/server.js';
import { ArcError, WS_PATH, type WsServerMessage } from '../../lib/protocol/index.js';
import { testConfig, testLogger } from '../helpers/env.js';

/** A local-session host that records what it is given and lets the test speak as the agent. */
export class ScriptedSessions implements LocalSessions {
  readonly opened: {
    userId: string;
    sessionId: string;
    listener: LocalSessionListener;
    pcm: Int16Array[];
    closed?: string;
  }[] = [];
  private n = 0;

  get active(): number {
    return this.opened.filter((s) => s.closed === undefined).length;
  }

  async open({ userId, listener }: { userId: string; listener: LocalSessionListener }): Promise<LocalSessionHandle> {
    const sessionId = `s${++this.n}`;
    const entry = { userId, sessionId, listener, pcm: [] as Int16Array[], closed: undefined as string | undefined };
    this.opened.push(entry);
    listener.event({ type: 'session', state: 'started', sessionId, userId, at: Date.now() });
    return {
      sessionId,
      sampleRate: 24000,
      // Like the real LocalAudioInput: frames longer than a second are refused.
      pushPcm(pcm, rate) {
        if (pcm.length / rate > 1)
          throw new ArcError('unsupported_audio', `a frame of ${pcm.length} samples is too long`);
        entry.pcm.push(pcm);
      },
      async close(reason = 'closed') {
        entry.closed = reason;
      },
    };
  }
}

export interface TestGateway extends GatewayServer {
  ws(): Promise<TestSocket>;
}

export async function startTestGateway(
  options: Partial<Omit<GatewayOptions, 'limits'>> & {
    limits?: Partial<GatewayLimits>;
    env?: Record<string, string>;
  } = {},
): Promise<TestGateway> {
  const webRoot = mkdtempSync(join(tmpdir(), 'arc-gw-web-'));
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>ARC</title>');
  const gw = await startGateway({
    config: testConfig(options.env),
    log: testLogger('gateway'),
    webRoot,
    port: 0,
    ...options,
  });
  return { ...gw, ws: () => TestSocket.connect(`${gw.url.replace('http', 'ws')}${WS_PATH}`) };
}

/** A WebSocket client that collects what the server sends and how it closed. */
export class TestSocket {
  readonly messages: WsServerMessage[] = [];
  readonly audio: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.audio.push(data as Buffer);
      else this.messages.push(JSON.parse(String(data)));
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static connect(url: string): Promise<TestSocket> {
    const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
    const s = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(s));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(data: unknown): void {
    this.ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data));
  }

  hello(userId = 'alice', sampleRate = 16000): void {
    this.send({ type: 'hello', userId, sampleRate, version: 1 });
  }

  async next<T extends WsServerMessage['type']>(
    type: T,
    timeoutMs = 3_000,
  ): Promise<Extract<WsServerMessage, { type: T }>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find((x) => x.type === type);
      if (m) return m as Extract<WsServerMessage, { type: T }>;
      if (Date.now() > until) throw new Error(`no ${type} message; got ${JSON.stringify(this.messages)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The typed error and the close code that follows it. */
  async failure(): Promise<{ code: string; message: string; close: number }> {
    const { code } = await this.closed;
    const err = this.messages.find((m) => m.type === 'error') as { code: string; message: string } | undefined;
    return { code: err?.code ?? '(none)', message: err?.message ?? '', close: code };
  }
}

/**
 * USE-lite's loader (lib/engines/embedding/use-lite.ts → @energetic-ai/embeddings initModel) races TF.js' WASM
 * backend start-up against decoding the weights; on a loaded machine it sometimes loses ("Backend 'wasm' has
 * not yet been initialized"). Until the loader awaits tf.ready() first, try once more.
 */
export async function retryWasmRace<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (!/Backend 'wasm' has not yet been initialized/.test(String((err as Error).message))) throw err;
    await new Promise((r) => setTimeout(r, 500));
    return start();
  }
}
