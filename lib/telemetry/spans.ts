// Spans of our own code, through the global OpenTelemetry API only. Until startTracing() registers a provider
// every helper here is a plain function call: no span objects, no context switches, the old traceparents.
import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { childTraceparent, formatTraceparent, parseTraceparent } from './trace.js';

/** The instrumentation scope of every span this project makes (`trace.getTracer('arc')`). */
export const TRACER_NAME = 'arc';

let enabled = false;

/** Switched by startTracing / stopTracing; nothing else should call it. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

export function tracingEnabled(): boolean {
  return enabled;
}

/**
 * Marks contexts whose active span is ours. Libraries (agents-js) also make spans active; a call made under one
 * of theirs must not become a child of a span we never export.
 */
const ARC_SPAN = createContextKey('arc.span');

/** The active context when its span is one of ours (a request being served, a step inside it). */
export function activeArcContext(): Context | undefined {
  const ctx = context.active();
  return ctx.getValue(ARC_SPAN) ? ctx : undefined;
}

/** A remote parent made from a W3C `traceparent`, or undefined when it is missing or malformed. */
export function contextFromTraceparent(traceparent: string | undefined): Context | undefined {
  const p = parseTraceparent(traceparent);
  if (!p) return undefined;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: p.traceId,
    spanId: p.spanId,
    traceFlags: p.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
}

/** The `traceparent` that makes the receiver's spans children of `span`. */
export function traceparentOf(span: Span): string {
  const sc = span.spanContext();
  return formatTraceparent({
    traceId: sc.traceId,
    spanId: sc.spanId,
    sampled: (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
  });
}

/** One piece of traced work. With tracing off it is a shell whose methods do nothing. */
export interface WorkSpan {
  /** What to send on (`traceparent` header): the receiver's spans become children of this one. */
  readonly traceparent: string;
  /** Runs `fn` with this span active, so spans and calls made inside (also after awaits) are its children. */
  run<T>(fn: () => T): T;
  set(attributes: Attributes): void;
  event(name: string, attributes?: Attributes): void;
  /** Ends the span; an outcome other than `ok` / `cancelled` (an error code) marks it failed. */
  end(outcome?: string, error?: unknown): void;
}

const passThrough = <T>(fn: () => T): T => fn();
const nothing = () => {};

function off(traceparent: string): WorkSpan {
  return { traceparent, run: passThrough, set: nothing, event: nothing, end: nothing };
}

function tracer() {
  return trace.getTracer(TRACER_NAME);
}

function wrap(span: Span, parent: Context): WorkSpan {
  const active = trace.setSpan(parent, span).setValue(ARC_SPAN, true);
  let ended = false;
  return {
    traceparent: traceparentOf(span),
    run: (fn) => context.with(active, fn),
    set: (attributes) => span.setAttributes(attributes),
    event: (name, attributes) => span.addEvent(name, attributes),
    end(outcome, error) {
      if (ended) return;
      ended = true;
      if (outcome) span.setAttribute('arc.outcome', outcome);
      if (outcome && outcome !== 'ok' && outcome !== 'cancelled') {
        const message = error instanceof Error ? error.message : outcome;
        span.setStatus({ code: SpanStatusCode.ERROR, message });
        if (error instanceof Error) span.recordException(error);
      }
      span.end();
    },
  };
}

/**
 * The span of a request a replica serves: a child of the caller's `traceparent` (a new trace without one).
 * Off: `traceparent` is a fresh child id of the caller's, as the runtime always handed to handlers.
 */
export function serverSpan(name: string, callerTraceparent: string | undefined, attributes: Attributes): WorkSpan {
  if (!enabled) return off(childTraceparent(callerTraceparent));
  const parent = contextFromTraceparent(callerTraceparent) ?? ROOT_CONTEXT;
  return wrap(tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent), parent);
}

/**
 * The span of an outgoing function call: a child of `explicitParent` when given (the host's turn), else of our
 * active span (a handler calling another function), else a new trace. Off: the given parent or a new trace id.
 */
export function clientSpan(name: string, explicitParent: string | undefined, attributes: Attributes): WorkSpan {
  if (!enabled) return off(explicitParent ?? childTraceparent());
  const parent = contextFromTraceparent(explicitParent) ?? activeArcContext() ?? ROOT_CONTEXT;
  return wrap(tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent), parent);
}

/** A step inside the active request (a graph node, a query, a synthesis); ended by the caller. */
export function childSpan(
  name: string,
  attributes: Attributes = {},
  options: { kind?: SpanKind; startTime?: number } = {},
): WorkSpan {
  if (!enabled) return off('');
  const parent = activeArcContext();
  if (!parent) return off(''); // outside any traced request (start-up, background work): not worth a trace
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes, ...options }, parent);
  return wrap(span, parent);
}

/** Runs `fn` inside a child span of the active request; a throw marks the span failed and is rethrown. */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: WorkSpan) => Promise<T>,
): Promise<T> {
  const span = childSpan(name, attributes);
  try {
    const result = await span.run(() => fn(span));
    span.end('ok');
    return result;
  } catch (err) {
    span.end((err as { code?: string }).code ?? 'internal', err);
    throw err;
  }
}

/**
 * Iterates `source` inside a child span of the active request: an event at the first item, the item count at
 * the end (a synthesis, a generation). With tracing off `source` itself is returned: no extra layer.
 */
export function tracedStream<T>(
  name: string,
  attributes: Attributes,
  source: AsyncIterable<T>,
  signal?: AbortSignal,
): AsyncIterable<T> {
  if (!enabled || !activeArcContext()) return source;
  return (async function* traced() {
    const span = childSpan(name, attributes);
    let items = 0;
    let failure: unknown;
    try {
      for await (const item of source) {
        if (items++ === 0) span.event('first item');
        yield item;
      }
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      span.set({ 'arc.items': items });
      const code = failure ? ((failure as { code?: string }).code ?? 'internal') : undefined;
      span.end(code ?? (signal?.aborted ? 'cancelled' : 'ok'), failure);
    }
  })();
}
