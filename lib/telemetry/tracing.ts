// Tracing for one process: the OpenTelemetry Node SDK exporting over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT
// is set. Unset, nothing is loaded or registered: the SDK is imported only here, only then, and every span
// helper (lib/telemetry/spans.ts) stays a no-op.
import { randomBytes } from 'node:crypto';
import {
  type Attributes,
  context,
  DiagLogLevel,
  diag,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../log.js';
import { contextFromTraceparent, setTracingEnabled, TRACER_NAME, tracingEnabled } from './spans.js';
import { parseTraceparent } from './trace.js';

export interface TracingOptions {
  /** `service.name` of this process's spans (`arc-brain`, `arc-agent-host`…). */
  serviceName: string;
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://jaeger:4318); spans go to `<url>/v1/traces`. */
  endpoint?: string;
  /** Export here instead, span by span (tests: an InMemorySpanExporter). */
  exporter?: SpanExporter;
  /** Where exporter failures are reported (once they happen, e.g. the collector is down). */
  log?: Logger;
}

export interface Tracing {
  /** Exports every ended span now. */
  flush(): Promise<void>;
  /** Flushes, stops the SDK and unregisters it; spans are no-ops again. */
  shutdown(): Promise<void>;
}

// Kept out of the bundles (a variable specifier is not followed by esbuild): loaded from node_modules when used.
const SDK_NODE = '@opentelemetry/sdk-node';
const SDK_TRACE = '@opentelemetry/sdk-trace-base';
const OTLP_HTTP = '@opentelemetry/exporter-trace-otlp-http';

/** How long shutdown waits for the last spans to be exported. */
const SHUTDOWN_WAIT_MS = 2_000;

let current: Promise<Tracing | undefined> | undefined;

/**
 * Starts the SDK once per process (later calls get the same handle). Without an endpoint or exporter it does
 * nothing and returns undefined. Only spans of the `arc` tracer are exported: agents-js makes its own spans
 * through the same global API and they would form traces of their own beside ours.
 */
export function startTracing(options: TracingOptions): Promise<Tracing | undefined> {
  if (!options.endpoint && !options.exporter) return current ?? Promise.resolve(undefined);
  current ??= start(options).catch((err) => {
    current = undefined;
    throw err;
  });
  return current;
}

async function start(options: TracingOptions): Promise<Tracing> {
  const { NodeSDK: Sdk } = (await import(SDK_NODE)) as typeof import('@opentelemetry/sdk-node');
  const { BatchSpanProcessor, SimpleSpanProcessor } = (await import(
    SDK_TRACE
  )) as typeof import('@opentelemetry/sdk-trace-base');
  let processor: SpanProcessor;
  if (options.exporter) {
    processor = new SimpleSpanProcessor(options.exporter);
  } else {
    const { OTLPTraceExporter } = (await import(OTLP_HTTP)) as typeof import('@opentelemetry/exporter-trace-otlp-http');
    const url = `${(options.endpoint as string).replace(/\/+$/, '')}/v1/traces`;
    processor = new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 1_000 });
  }
  if (options.log) {
    const log = options.log.child({ component: 'otel' });
    diag.setLogger(
      {
        error: (message, ...args) => log.warn({ args }, message),
        warn: (message, ...args) => log.warn({ args }, message),
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      DiagLogLevel.WARN,
    );
  }
  const sdk: NodeSDK = new Sdk({
    serviceName: options.serviceName,
    spanProcessors: [new OursOnly(processor)],
    idGenerator: ids,
    // Traces only: metrics are Prometheus (lib/telemetry/metrics.ts), logs are pino on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  setTracingEnabled(true);
  return {
    flush: () => processor.forceFlush(),
    async shutdown() {
      setTracingEnabled(false);
      // Bounded: a collector that does not answer must not hold up a stopping process.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_WAIT_MS);
      });
      await Promise.race([sdk.shutdown().catch(() => {}), late]);
      clearTimeout(timer);
      trace.disable();
      context.disable();
      propagation.disable();
      current = undefined;
    },
  };
}

/** Passes on only the spans of our own tracer. */
class OursOnly implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}
  onStart(span: Parameters<SpanProcessor['onStart']>[0], parent: Parameters<SpanProcessor['onStart']>[1]): void {
    if (span.instrumentationScope.name === TRACER_NAME) this.inner.onStart(span, parent);
  }
  onEnd(span: ReadableSpan): void {
    if (span.instrumentationScope.name === TRACER_NAME) this.inner.onEnd(span);
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * Random ids, except for the one span that must take ids chosen before it exists: the agent host's turn span,
 * whose `traceparent` the brain and tts calls already carried while the turn was under way.
 */
class Ids {
  pending: { traceId?: string; spanId?: string } | undefined;
  generateTraceId(): string {
    const id = this.pending?.traceId;
    if (id && this.pending) {
      this.pending.traceId = undefined;
      return id;
    }
    return randomBytes(16).toString('hex');
  }
  generateSpanId(): string {
    const id = this.pending?.spanId;
    if (id && this.pending) {
      this.pending.spanId = undefined;
      return id;
    }
    return randomBytes(8).toString('hex');
  }
}

const ids = new Ids();

/**
 * Starts a span that *is* the span `traceparent` names (same trace and span id), for work whose context was
 * handed out before its span could be made. Under another SDK (ids not ours) it becomes a child of that
 * context instead: same trace, one level lower. Undefined when tracing is off.
 */
export function startSpanAs(
  traceparent: string,
  name: string,
  options: { attributes?: Attributes; startTime?: number; kind?: SpanKind } = {},
): Span | undefined {
  if (!tracingEnabled()) return undefined;
  const tp = parseTraceparent(traceparent);
  if (!tp) return undefined;
  const tracer = trace.getTracer(TRACER_NAME);
  const spanOptions = {
    kind: options.kind ?? SpanKind.INTERNAL,
    attributes: options.attributes,
    startTime: options.startTime,
  };
  ids.pending = { traceId: tp.traceId, spanId: tp.spanId };
  let span: Span;
  try {
    span = tracer.startSpan(name, { ...spanOptions, root: true }, ROOT_CONTEXT);
  } finally {
    ids.pending = undefined;
  }
  const sc = span.spanContext();
  if (sc.traceId === tp.traceId && sc.spanId === tp.spanId) return span;
  return tracer.startSpan(name, spanOptions, contextFromTraceparent(traceparent));
}
