// Translates pg / socket errors into ArcErrors, and retries the transient ones with backoff.
import type { Logger } from '../log.js';
import { ArcError, CancelledError, TimeoutError } from '../protocol/index.js';
import { sleep } from '../util/abort.js';

/** Socket-level failures: the database is down, restarting or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
/** SQLSTATE classes and codes that mean "try again later", not "your data is wrong". */
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '53300']);

/** True when retrying the same statement later may succeed (connection trouble, deadlock, shutdown). */
export function isTransientDbError(err: unknown): boolean {
  if (err instanceof ArcError) return err.code === 'unavailable' || err.code === 'timeout';
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (e.code && (NETWORK_CODES.has(e.code) || TRANSIENT_SQLSTATES.has(e.code) || e.code.startsWith('08'))) return true;
  const msg = e.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|connect ECONNREFUSED/i.test(
    msg,
  );
}

/** Maps a database failure to the project's error codes; `what` names the operation for the message. */
export function toDbError(err: unknown, what: string): ArcError {
  if (err instanceof ArcError) return err;
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? String(err);
  if (/Query read timeout/i.test(msg)) return new TimeoutError(`database ${what}`, 0);
  if (e?.code === '57014')
    return new ArcError('timeout', `database ${what} exceeded the statement timeout`, { cause: err });
  if (isTransientDbError(err)) {
    return new ArcError('unavailable', `database unavailable during ${what}: ${msg}`, { cause: err });
  }
  // pgvector: "expected 512 dimensions, not 384"
  if (/expected \d+ dimensions, not \d+/.test(msg)) {
    return new ArcError('dimension_mismatch', `${what}: ${msg}`, { cause: err });
  }
  if (e?.code?.startsWith('22') || e?.code?.startsWith('23')) {
    return new ArcError('invalid_request', `${what} refused by the database: ${msg}`, { cause: err });
  }
  return new ArcError('upstream', `database ${what} failed: ${msg}`, { cause: err });
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  /** First backoff; doubles each attempt (with jitter), capped at `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  log?: Logger;
}

/**
 * Runs `fn`, retrying transient database failures with exponential backoff; anything else fails at once.
 * The final error is an ArcError (see `toDbError`).
 */
export async function withDbRetry<T>(what: string, fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  let delay = options.baseDelayMs ?? 50;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new CancelledError();
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !isTransientDbError(err)) throw toDbError(err, what);
      options.log?.warn(
        { what, attempt, err: (err as Error).message, retryInMs: delay },
        'database call failed; retrying',
      );
      await sleep(delay + Math.random() * delay * 0.2, options.signal);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 1_000);
    }
  }
}
