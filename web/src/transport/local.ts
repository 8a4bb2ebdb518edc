// Local mode: audio over one WebSocket to the gateway (contract: lib/protocol/ws.ts).
import { agentEvent } from '../../../lib/protocol/events.js';
import { WS_CLOSE, WS_PATH, wsServerMessage } from '../../../lib/protocol/ws.js';
import type { AudioEngine } from '../audio/engine.js';
import { type Transport, type TransportHandlers, unreachable } from './types.js';

const CLOSE_MESSAGES: Record<number, string> = {
  [WS_CLOSE.goingAway]: 'The server is shutting down.',
  [WS_CLOSE.busy]: 'The agent is busy right now. Try again in a moment.',
  [WS_CLOSE.unavailable]: 'Local mode is not available on this server.',
  [WS_CLOSE.hello_timeout]: 'The connection timed out while starting.',
  1009: 'The server refused a message that was too large.',
};

export class LocalTransport implements Transport {
  readonly mode = 'local' as const;
  private ws: WebSocket | undefined;
  private opened = false;
  private ready = false;
  private muted = false;
  private outRate = 24000;
  private lastError: string | undefined;
  private ended = false;

  constructor(
    private readonly engine: AudioEngine,
    private readonly userId: string,
    private readonly on: TransportHandlers,
  ) {}

  async start(): Promise<void> {
    this.on.state('connecting');
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${WS_PATH}`;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.engine.onFrame = (pcm) => {
      if (!this.ready || ws.readyState !== WebSocket.OPEN) return;
      // Muted: silence, not nothing, so the server's turn detector still sees the user stop.
      ws.send(this.muted ? new ArrayBuffer(pcm.byteLength) : pcm.buffer);
    };
    ws.onopen = () => {
      this.opened = true;
      ws.send(JSON.stringify({ type: 'hello', userId: this.userId, sampleRate: 16000, version: 1 }));
    };
    ws.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) {
        if (e.data.byteLength % 2 === 0) this.engine.play(new Int16Array(e.data), this.outRate);
        return;
      }
      this.onText(String(e.data));
    };
    ws.onclose = (e) => this.onClose(e.code, e.reason);
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'mute', muted }));
  }

  async hangup(): Promise<void> {
    this.ended = true;
    const ws = this.ws;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'bye' }));
    // The server closes after ending the session; do not wait forever for it.
    setTimeout(() => ws.close(1000, 'hung up'), 1000);
  }

  private onText(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const msg = wsServerMessage.safeParse(parsed);
    if (!msg.success) {
      // A newer server may send events this page does not know: skip them, keep the call.
      const e = agentEvent.safeParse((parsed as { event?: unknown }).event);
      if (e.success) this.on.agentEvent(e.data);
      return;
    }
    const m = msg.data;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.outRate = m.sampleRate;
        this.on.ready({ sessionId: m.sessionId });
        this.on.state('connected');
        return;
      case 'event':
        this.on.agentEvent(m.event);
        return;
      case 'clear':
        this.engine.clear();
        return;
      case 'error':
        this.lastError = `${m.message} (${m.code})`;
        return;
    }
  }

  private onClose(code: number, reason: string): void {
    this.ready = false;
    this.engine.onFrame = () => {};
    if ((this.ended && (code === 1000 || code === 1005)) || (this.opened && code === 1000)) {
      this.on.state('closed');
      return;
    }
    if (!this.opened) {
      this.on.error(unreachable(), true);
      this.on.state('error', 'unreachable');
      return;
    }
    const message = this.lastError ?? CLOSE_MESSAGES[code] ?? `The connection closed unexpectedly (${code} ${reason}).`;
    this.on.error(message, true);
    this.on.state('error', String(code));
  }
}
