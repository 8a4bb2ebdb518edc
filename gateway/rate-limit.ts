// Per-client token buckets: each key (an IP) may do `burst` things at once and `perMinute` on average.
import type { MiddlewareHandler } from 'hono';
import { ArcError } from '../lib/protocol/index.js';
import { clientIp } from './client-ip.js';

export interface RateLimit {
  /** Average allowance per minute. */
  perMinute: number;
  /** How many may come at once. */
  burst: number;
}

export interface RateLimiter {
  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean;
  /** Seconds until `key` has a token again (for Retry-After). */
  retryAfter(key: string): number;
}

/** Buckets live in a Map swept once a minute, so idle clients cost nothing. */
export function createRateLimiter(limit: RateLimit, now: () => number = Date.now): RateLimiter {
  const perMs = limit.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sweptAt = now();
  const refill = (key: string) => {
    const t = now();
    if (t - sweptAt > 60_000) {
      for (const [k, b] of buckets) if (b.tokens + (t - b.at) * perMs >= limit.burst) buckets.delete(k);
      sweptAt = t;
    }
    const b = buckets.get(key) ?? { tokens: limit.burst, at: t };
    b.tokens = Math.min(limit.burst, b.tokens + (t - b.at) * perMs);
    b.at = t;
    buckets.set(key, b);
    return b;
  };
  return {
    take(key) {
      const b = refill(key);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    retryAfter(key) {
      const b = refill(key);
      return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / perMs / 1000);
    },
  };
}

/** Hono middleware: 429 `busy` with Retry-After when the client's bucket is empty. */
export function rateLimit(limiter: RateLimiter, what: string, trustProxy = false): MiddlewareHandler {
  return async function rateLimited(c, next) {
    const ip = clientIp(c, trustProxy);
    if (!limiter.take(ip)) {
      const err = new ArcError('busy', `too many ${what} requests from ${ip}; slow down`);
      return c.json(err.toWire(), 429, { 'Retry-After': String(limiter.retryAfter(ip)) });
    }
    await next();
  };
}
