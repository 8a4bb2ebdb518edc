// Query spans: a pg Pool whose `query` runs inside a client span when it is called within a traced request.
import { SpanKind } from '@opentelemetry/api';
import { activeArcContext, childSpan, tracingEnabled } from './spans.js';

interface QueryFn {
  query: (...args: never[]) => unknown;
}

/** The first words of a statement: enough to tell queries apart, never their parameters. */
function operationOf(text: string): string {
  return text.trim().split(/\s+/, 1)[0]?.toUpperCase() ?? 'QUERY';
}

/**
 * Wraps `pool.query` in place (promise form only; a callback-style call passes straight through). With tracing
 * off, or outside a traced request (migrations, health pings), the original runs with one flag check on top.
 */
export function traceQueries<P extends QueryFn>(pool: P): P {
  const original = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const traced = function tracedQuery(...args: unknown[]): unknown {
    if (!tracingEnabled() || !activeArcContext() || typeof args.at(-1) === 'function') return original(...args);
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
    const span = childSpan(
      `db ${operationOf(text)}`,
      { 'db.system.name': 'postgresql', 'db.query.text': text.replace(/\s+/g, ' ').trim().slice(0, 500) },
      { kind: SpanKind.CLIENT },
    );
    const result = original(...args) as Promise<unknown>;
    return result.then(
      (r) => {
        span.set({ 'db.response.returned_rows': (r as { rowCount?: number | null })?.rowCount ?? 0 });
        span.end('ok');
        return r;
      },
      (err: unknown) => {
        span.end((err as { code?: string }).code ?? 'db_error', err);
        throw err;
      },
    );
  };
  (pool as { query: unknown }).query = traced;
  return pool;
}
