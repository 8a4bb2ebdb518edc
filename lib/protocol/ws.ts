// The local-mode WebSocket between the browser and the gateway: JSON text messages (below) and binary PCM.
//
//   client → server  text   hello (first, once), mute, bye
//                    binary PCM s16le mono at the rate announced in `hello`, 10–100 ms per message
//   server → client  text   ready (answer to hello), event (an AgentEvent), clear (barge-in), error
//                    binary PCM s16le mono at the rate announced in `ready` (already paced in real time)
//
// Bad input gets an `error` message, then the socket is closed with the 4xxx code of that error.
import { z } from 'zod';
import { userId } from './contracts/common.js';
import type { ErrorCode } from './errors.js';
import { agentEvent } from './events.js';

/** Where the gateway accepts local-mode WebSockets. */
export const WS_PATH = '/api/ws';
/** Largest text or binary message a client may send (64 KiB is ~680 ms of 48 kHz PCM). */
export const WS_MAX_MESSAGE_BYTES = 64 * 1024;
/** Microphone rates the server accepts (the agent host resamples to what VAD and STT need). */
export const WS_INPUT_SAMPLE_RATES = [8000, 16000, 24000, 44100, 48000] as const;
/** The client must say hello within this long after connecting. */
export const WS_HELLO_TIMEOUT_MS = 10_000;

export const wsHello = z.object({
  type: z.literal('hello'),
  /** Whose memory this conversation reads and writes (not authentication: see docs/web.md). */
  userId,
  /** Rate of the binary PCM this client will send. */
  sampleRate: z.number().int(),
  /** Protocol version the client speaks. */
  version: z.literal(1).optional(),
});

export const wsClientMessage = z.discriminatedUnion('type', [
  wsHello,
  /** While muted the server feeds silence instead of the microphone (the VAD still sees the turn end). */
  z.object({ type: z.literal('mute'), muted: z.boolean() }),
  /** The client hangs up; the server ends the session and closes with 1000. */
  z.object({ type: z.literal('bye') }),
]);
export type WsClientMessage = z.infer<typeof wsClientMessage>;
export type WsHello = z.infer<typeof wsHello>;

export const wsServerMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    sessionId: z.string(),
    /** Rate of the binary PCM the server sends. */
    sampleRate: z.number().int(),
  }),
  z.object({ type: z.literal('event'), event: agentEvent }),
  /** Barge-in: drop agent audio the client has buffered and not played yet. */
  z.object({ type: z.literal('clear') }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type WsServerMessage = z.infer<typeof wsServerMessage>;

/** Close codes: 4000 + the error's HTTP status, so a close code alone says what went wrong. */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  bad_request: 4400,
  invalid_request: 4422,
  payload_too_large: 4413,
  unsupported_audio: 4415,
  busy: 4429,
  hello_timeout: 4408,
  unavailable: 4503,
  internal: 4500,
} as const;

/** The close code for an error code (unknown codes close as `internal`). */
export function wsCloseCode(code: ErrorCode | 'hello_timeout' | string): number {
  return (WS_CLOSE as Record<string, number>)[code] ?? WS_CLOSE.internal;
}
