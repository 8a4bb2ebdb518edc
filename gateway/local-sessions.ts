// What the gateway needs from whoever runs conversations in this process (the embedded launcher injects it).
// The gateway never imports the agent host: it only knows this interface.
import type { AgentEvent } from '../lib/protocol/index.js';

/** What a local session sends back to its WebSocket. */
export interface LocalSessionListener {
  /** Agent audio that starts playing now (already paced in real time): mono s16le at `sampleRate`. */
  audio(pcm: Int16Array, sampleRate: number): void;
  /** Barge-in: the client must drop agent audio it has buffered. */
  clear(): void;
  event(event: AgentEvent): void;
}

export interface LocalSessionHandle {
  readonly sessionId: string;
  /** Rate of the PCM passed to `listener.audio` (announced to the client in `ready`). */
  readonly sampleRate: number;
  /** Microphone PCM in; throws an ArcError (`unsupported_audio`) for audio it cannot use. */
  pushPcm(pcm: Int16Array, sampleRate: number): void;
  close(reason?: string): Promise<void>;
}

export interface LocalSessions {
  open(request: { userId: string; listener: LocalSessionListener }): Promise<LocalSessionHandle>;
  /** Sessions open now (the gateway refuses new ones past its limit). */
  readonly active: number;
}
