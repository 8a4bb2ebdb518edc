// GET /api/health: each function's /_/ready, NATS and the database, checked in parallel with a short deadline.
import type { NatsLink } from '../lib/bus/nats-link.js';

export interface FunctionTarget {
  name: string;
  /** URL of the function's readiness endpoint (`…/_/ready`). */
  readyUrl: string;
}

export interface HealthSources {
  functions: readonly FunctionTarget[];
  nats?: NatsLink;
  db?: { ping(): Promise<boolean> };
  /** Local mode available in this process (sessions open now). */
  local?: { readonly active: number };
}

/** `unknown`: the check could not say (e.g. a function gateway that does not expose /_/ready); it does not fail. */
export type CheckStatus = 'ok' | 'fail' | 'unknown';
export interface Check {
  status: CheckStatus;
  detail?: string;
}

export interface HealthReport {
  status: 'ok' | 'down';
  checks: { functions: Record<string, Check>; nats: Check; database: Check; local: Check };
  at: string;
}

export function createHealthCheck(sources: HealthSources, timeoutMs = 2_000): () => Promise<HealthReport> {
  return async function checkHealth() {
    const functions = Object.fromEntries(
      await Promise.all(sources.functions.map(async (f) => [f.name, await checkReady(f.readyUrl, timeoutMs)] as const)),
    );
    const nats: Check = !sources.nats
      ? { status: 'unknown', detail: 'no NATS configured' }
      : sources.nats.connected
        ? { status: 'ok', detail: sources.nats.servers }
        : { status: 'fail', detail: `not connected to ${sources.nats.servers}` };
    const database: Check = !sources.db
      ? { status: 'unknown', detail: 'no database configured (DATABASE_URL)' }
      : (await withTimeout(sources.db.ping(), timeoutMs, false))
        ? { status: 'ok' }
        : { status: 'fail', detail: 'the database did not answer' };
    const local: Check = sources.local
      ? { status: 'ok', detail: `${sources.local.active} session(s) open` }
      : { status: 'unknown', detail: 'local mode is not available in this gateway (room mode only)' };
    const all = [...Object.values(functions), nats, database];
    return {
      status: all.some((c) => c.status === 'fail') ? 'down' : 'ok',
      checks: { functions, nats, database, local },
      at: new Date().toISOString(),
    };
  };
}

async function checkReady(url: string, timeoutMs: number): Promise<Check> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.ok) return { status: 'ok' };
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string; reason?: string };
    if (res.status === 404) return { status: 'unknown', detail: `no readiness route at ${url}` };
    return { status: 'fail', detail: `HTTP ${res.status}${body.message ? `: ${body.message}` : ' (not ready yet)'}` };
  } catch (err) {
    return { status: 'fail', detail: `unreachable: ${(err as Error).message}` };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([p, new Promise<T>((r) => setTimeout(() => r(fallback), ms).unref())]);
}
