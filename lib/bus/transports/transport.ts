// What FunctionClient needs from a transport (NATS, HTTP, in-process), and the error that says whether it was delivered.
import { type AnyContract, ArcError, type ArcErrorOptions, type ErrorCode } from '../../protocol/index.js';
import type { Transport } from '../../telemetry/metrics.js';

export interface CallContext {
  requestId: string;
  traceparent: string;
  /** Aborts on caller cancel; transports turn it into a quiet `cancelled`. */
  signal: AbortSignal;
  /** Unary: deadline for the reply. Stream: deadline for the first chunk. */
  firstChunkTimeoutMs: number;
  /** Streams: deadline between chunks. */
  idleTimeoutMs: number;
}

/** The request both as bytes (wire transports) and as the validated value (in-process). */
export interface Payload {
  bytes: Uint8Array;
  value: unknown;
}

export interface StreamedChunk {
  data: unknown;
  /** Present on the first chunk: stream headers such as Arc-Sample-Rate. */
  headers?: Record<string, string>;
}

export interface ClientTransport {
  readonly kind: Transport;
  /** Can this transport be tried for this function now (NATS connected, gateway configured…)? */
  usable(name: string): boolean;
  unary(contract: AnyContract, payload: Payload, ctx: CallContext): Promise<unknown>;
  /** First `next()` resolves with the first chunk or throws, so the caller can still fall back. */
  stream(contract: AnyContract, payload: Payload, ctx: CallContext): AsyncIterableIterator<StreamedChunk>;
  /** Best-effort: stop a request that may be running on a replica (after a timeout or a fallback). */
  cancel?(requestId: string): void;
}

/** A transport-level failure; `delivered` says whether a replica may have received the request. */
export class TransportError extends ArcError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly delivered: boolean,
    options?: ArcErrorOptions,
  ) {
    super(code, message, options);
    this.name = 'TransportError';
  }
}
