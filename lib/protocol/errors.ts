// Typed errors shared by every boundary: the same codes travel in `Arc-Error` headers, HTTP bodies and logs.

/** Every error code the system can put on the wire, with whether a caller may retry it and its HTTP status. */
export const ERROR_CODES = {
  bad_request: { retryable: false, status: 400 }, // body is not JSON / not decodable
  invalid_request: { retryable: false, status: 422 }, // JSON that breaks the contract's schema
  payload_too_large: { retryable: false, status: 413 },
  not_found: { retryable: false, status: 404 }, // unknown function, route, session…
  unauthorized: { retryable: false, status: 401 },
  forbidden: { retryable: false, status: 403 },
  unsupported_audio: { retryable: false, status: 415 }, // wrong rate, channels, truncated WAV
  unknown_voice: { retryable: false, status: 422 },
  dimension_mismatch: { retryable: false, status: 409 }, // embedding dimension differs from the store's
  timeout: { retryable: true, status: 504 }, // a deadline passed (handler or client side)
  first_chunk_timeout: { retryable: true, status: 504 },
  idle_timeout: { retryable: true, status: 504 },
  cancelled: { retryable: false, status: 499 },
  busy: { retryable: true, status: 429 }, // load shedding: the replica is at its concurrency limit
  unavailable: { retryable: true, status: 503 }, // no responder, draining, not ready, transport down
  connection_lost: { retryable: true, status: 503 }, // the transport died while the call was in flight
  stream_broken: { retryable: true, status: 502 }, // a gap in Arc-Seq or an abrupt end of a stream
  upstream: { retryable: true, status: 502 }, // a dependency (LLM, database, engine) failed
  protocol_error: { retryable: false, status: 502 }, // a peer sent something that breaks the contract
  internal: { retryable: false, status: 500 },
} as const satisfies Record<string, { retryable: boolean; status: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The JSON body that carries an error over NATS (with an `Arc-Error` header) and HTTP. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export interface ArcErrorOptions {
  cause?: unknown;
  details?: unknown;
}

/** Base class of every error the project raises on purpose. `code` is stable; messages are for people. */
export class ArcError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: ArcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ArcError';
    this.code = code;
    this.details = options.details;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toWire(): WireError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuilds an error received from a peer; an unknown code becomes `protocol_error` rather than a lie. */
  static fromWire(value: unknown, fallbackCode: ErrorCode = 'protocol_error'): ArcError {
    if (value && typeof value === 'object') {
      const { code, message, details } = value as Partial<WireError>;
      if (typeof code === 'string' && isErrorCode(code)) {
        return new ArcError(code, typeof message === 'string' ? message : code, { details });
      }
    }
    return new ArcError(fallbackCode, `peer sent an unreadable error: ${safeJson(value)}`);
  }
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

export function isArcError(err: unknown, code?: ErrorCode): err is ArcError {
  return err instanceof ArcError && (code === undefined || err.code === code);
}

/** Translates anything thrown into an ArcError at a boundary; unknown errors become `internal`. */
export function toArcError(err: unknown, fallbackCode: ErrorCode = 'internal'): ArcError {
  if (err instanceof ArcError) return err;
  if (err instanceof Error && err.name === 'AbortError') {
    return new ArcError('cancelled', 'the request was cancelled', { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ArcError(fallbackCode, message || fallbackCode, { cause: err });
}

// Named errors for the cases callers branch on most; each is an ArcError with a fixed code.
export class InvalidRequestError extends ArcError {
  constructor(message: string, options?: ArcErrorOptions) {
    super('invalid_request', message, options);
    this.name = 'InvalidRequestError';
  }
}

export class PayloadTooLargeError extends ArcError {
  constructor(size: number, limit: number) {
    super('payload_too_large', `payload of ${size} bytes exceeds the limit of ${limit} bytes`, {
      details: { size, limit },
    });
    this.name = 'PayloadTooLargeError';
  }
}

export class TimeoutError extends ArcError {
  constructor(what: string, ms: number, code: 'timeout' | 'first_chunk_timeout' | 'idle_timeout' = 'timeout') {
    super(code, `${what} timed out after ${ms} ms`, { details: { ms } });
    this.name = 'TimeoutError';
  }
}

export class CancelledError extends ArcError {
  constructor(message = 'the request was cancelled') {
    super('cancelled', message);
    this.name = 'CancelledError';
  }
}

export class UnavailableError extends ArcError {
  constructor(message: string, options?: ArcErrorOptions) {
    super('unavailable', message, options);
    this.name = 'UnavailableError';
  }
}

export class BusyError extends ArcError {
  constructor(message: string) {
    super('busy', message);
    this.name = 'BusyError';
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}
