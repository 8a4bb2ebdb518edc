// The local-mode audio WebSocket (contract: lib/protocol/ws.ts). One connection = one conversation: hello →
// ready, microphone PCM in, agent PCM / events / clear out. Bad input gets a typed error, then a 4xxx close;
// nothing a client sends can throw out of this module.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../lib/log.js';
import {
  ArcError,
  decodeJson,
  toArcError,
  validate,
  WS_CLOSE,
  WS_HELLO_TIMEOUT_MS,
  WS_INPUT_SAMPLE_RATES,
  WS_MAX_MESSAGE_BYTES,
  type WsServerMessage,
  wsClientMessage,
  wsCloseCode,
} from '../lib/protocol/index.js';
import { peerAddress } from './client-ip.js';
import type { LocalSessionHandle, LocalSessions } from './local-sessions.js';
import type { RateLimiter } from './rate-limit.js';

export interface LocalSocketOptions {
  local?: LocalSessions;
  log: Logger;
  /** New connections per client address. */
  connectLimiter: RateLimiter;
  /** Conversations open at once in this process. */
  maxSessions: number;
  maxMessageBytes?: number;
  helloTimeoutMs?: number;
  trustProxy?: boolean;
}

/**
 * The ws library refuses frames above this before buffering them (close 1009); between our own limit and
 * this one, the client gets a typed `payload_too_large` error instead.
 */
const HARD_MAX_PAYLOAD = 16 * 1024 * 1024;
/** Agent audio waiting in a socket's send buffer beyond this is dropped: the client is not reading. */
const MAX_SEND_BUFFER = 1024 * 1024;
const PING_INTERVAL_MS = 30_000;

export interface LocalSocketServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly connections: number;
  /** Ends every conversation and closes every socket with 1001. */
  close(): Promise<void>;
}

export function createLocalSocketServer(options: LocalSocketOptions): LocalSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: HARD_MAX_PAYLOAD, perMessageDeflate: false });
  const live = new Set<Connection>();
  const ping = setInterval(() => {
    for (const c of live) c.heartbeat();
  }, PING_INTERVAL_MS);
  ping.unref();
  return {
    handleUpgrade(req, socket, head) {
      socket.on('error', () => {}); // a client resetting mid-handshake must not become an uncaught error
      wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new Connection(ws, peerAddress(req, options.trustProxy), options);
        live.add(conn);
        ws.once('close', () => live.delete(conn));
        conn.start();
      });
    },
    get connections() {
      return live.size;
    },
    async close() {
      clearInterval(ping);
      await Promise.all([...live].map((c) => c.shutdown()));
      wss.close();
    },
  };
}

type State = 'awaiting-hello' | 'opening' | 'open' | 'closing';

class Connection {
  private state: State = 'awaiting-hello';
  private session: LocalSessionHandle | undefined;
  private inputRate = 16000;
  private muted = false;
  private alive = true;
  private helloTimer: NodeJS.Timeout | undefined;
  private dropped = 0;
  private readonly log: Logger;
  private readonly maxBytes: number;

  constructor(
    private readonly ws: WebSocket,
    private readonly ip: string,
    private readonly options: LocalSocketOptions,
  ) {
    this.log = options.log.child({ ws: ip });
    this.maxBytes = options.maxMessageBytes ?? WS_MAX_MESSAGE_BYTES;
  }

  start(): void {
    const { ws, options } = this;
    ws.on('error', (err) => this.log.debug({ err: err.message }, 'websocket error'));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => void this.endSession('client disconnected'));
    if (!options.local) {
      this.fail(
        new ArcError(
          'unavailable',
          'local mode is not available here: this gateway serves room mode only (POST /api/token); run `npm start` for local mode',
        ),
      );
      return;
    }
    if (!options.connectLimiter.take(this.ip)) {
      this.fail(new ArcError('busy', `too many connections from ${this.ip}; wait a little and reconnect`));
      return;
    }
    if (options.local.active >= options.maxSessions) {
      this.fail(new ArcError('busy', `the agent is busy: ${options.maxSessions} conversations are open`));
      return;
    }
    this.helloTimer = setTimeout(
      () => this.fail(new ArcError('timeout', 'no hello within the time allowed'), WS_CLOSE.hello_timeout),
      options.helloTimeoutMs ?? WS_HELLO_TIMEOUT_MS,
    );
    ws.on('message', (data, isBinary) => {
      try {
        this.onMessage(data, isBinary);
      } catch (err) {
        this.fail(toArcError(err));
      }
    });
  }

  heartbeat(): void {
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  async shutdown(): Promise<void> {
    this.sendJson({ type: 'error', code: 'unavailable', message: 'the server is shutting down' });
    this.ws.close(WS_CLOSE.goingAway, 'server shutting down');
    await this.endSession('server shutting down');
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closing') return;
    const bytes = toBuffer(data);
    if (bytes.byteLength > this.maxBytes) {
      throw new ArcError(
        'payload_too_large',
        `message of ${bytes.byteLength} bytes exceeds the limit of ${this.maxBytes} bytes (send 10–100 ms of audio per message)`,
      );
    }
    if (isBinary) {
      this.onAudio(bytes);
      return;
    }
    const msg = validate(wsClientMessage, decodeJson(bytes, 'message'), 'message');
    switch (msg.type) {
      case 'hello':
        if (this.state !== 'awaiting-hello') throw new ArcError('bad_request', 'hello was already sent');
        if (!(WS_INPUT_SAMPLE_RATES as readonly number[]).includes(msg.sampleRate)) {
          throw new ArcError(
            'unsupported_audio',
            `sample rate ${msg.sampleRate} Hz is not supported (use ${WS_INPUT_SAMPLE_RATES.join(', ')})`,
          );
        }
        clearTimeout(this.helloTimer);
        this.inputRate = msg.sampleRate;
        void this.openSession(msg.userId);
        return;
      case 'mute':
        this.muted = msg.muted;
        return;
      case 'bye':
        this.state = 'closing';
        void this.endSession('hung up').then(() => this.ws.close(WS_CLOSE.normal, 'bye'));
        return;
    }
  }

  private onAudio(bytes: Buffer): void {
    if (this.state === 'awaiting-hello') throw new ArcError('bad_request', 'send hello before audio');
    if (this.state !== 'open' || !this.session) return; // between hello and ready: dropped, like a ringing line
    if (bytes.byteLength % 2 !== 0) {
      throw new ArcError('bad_request', `audio must be 16-bit PCM: ${bytes.byteLength} bytes is an odd length`);
    }
    // Copy into an aligned buffer (a Node Buffer may start at an odd offset of a shared pool).
    const pcm = new Int16Array(bytes.byteLength / 2);
    if (!this.muted) new Uint8Array(pcm.buffer).set(bytes);
    this.session.pushPcm(pcm, this.inputRate);
  }

  private async openSession(userId: string): Promise<void> {
    const local = this.options.local;
    if (!local) return;
    this.state = 'opening';
    try {
      const session = await local.open({
        userId,
        listener: {
          audio: (pcm) => this.sendAudio(pcm),
          clear: () => this.sendJson({ type: 'clear' }),
          event: (event) => this.sendJson({ type: 'event', event }),
        },
      });
      // The client may have left (or said bye) while the session started.
      if ((this.state as State) === 'closing' || this.ws.readyState !== this.ws.OPEN) {
        await session.close('client left before the session started');
        return;
      }
      this.session = session;
      this.state = 'open';
      this.sendJson({ type: 'ready', sessionId: session.sessionId, sampleRate: session.sampleRate });
      this.log.info({ sessionId: session.sessionId, userId, inputRate: this.inputRate }, 'local session open');
    } catch (err) {
      this.log.error({ err }, 'opening a local session failed');
      const e = toArcError(err);
      this.fail(
        e.code === 'internal' ? new ArcError('unavailable', `could not start a conversation: ${e.message}`) : e,
      );
    }
  }

  private sendAudio(pcm: Int16Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_SEND_BUFFER) {
      if (this.dropped++ === 0) this.log.warn('client is not reading agent audio; dropping frames');
      return;
    }
    this.ws.send(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }

  private sendJson(msg: WsServerMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** Typed error to the client, then close with its 4xxx code. */
  private fail(err: ArcError, closeCode = wsCloseCode(err.code)): void {
    if (this.state === 'closing' && this.ws.readyState !== this.ws.OPEN) return;
    this.state = 'closing';
    clearTimeout(this.helloTimer);
    this.log.info({ code: err.code, message: err.message }, 'closing websocket on bad input');
    this.sendJson({ type: 'error', code: err.code, message: err.message });
    // Close reasons are limited to 123 bytes.
    this.ws.close(closeCode, Buffer.from(err.code).subarray(0, 120).toString());
    void this.endSession(err.code);
  }

  private async endSession(reason: string): Promise<void> {
    clearTimeout(this.helloTimer);
    this.state = 'closing';
    const s = this.session;
    this.session = undefined;
    if (!s) return;
    try {
      await s.close(reason);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'closing a local session failed');
    }
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}
