import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { traceQueries } from './db.js';
import { clientSpan, serverSpan, tracedStream, tracingEnabled, withSpan } from './spans.js';
import { parseTraceparent } from './trace.js';
import { startSpanAs, startTracing, type Tracing } from './tracing.js';

const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;

afterAll(async () => {
  await tracing?.shutdown();
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('starts nothing: no provider, spans do not record, the old traceparents are handed on', async () => {
    expect(await startTracing({ serviceName: 'x', endpoint: undefined })).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    expect(trace.getTracer('arc').startSpan('probe').isRecording()).toBe(false);
    const server = serverSpan('serve x', CALLER, {});
    expect(parseTraceparent(server.traceparent)?.traceId).toBe(parseTraceparent(CALLER)?.traceId);
    expect(server.traceparent).not.toBe(CALLER);
    expect(clientSpan('call x', CALLER, {}).traceparent).toBe(CALLER);
    expect(parseTraceparent(clientSpan('call x', undefined, {}).traceparent)).toBeDefined();
    // Off, the helpers are pass-throughs: the function runs in the caller's context, the stream is the source.
    const marker = context.active();
    expect(server.run(() => context.active())).toBe(marker);
    const source = (async function* () {
      yield 1;
    })();
    expect(server.run(() => tracedStream('s', {}, source))).toBe(source);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});

describe('tracing on', () => {
  it('a request span is the child of the caller, and work inside it (steps, calls, queries, streams) its children', async () => {
    tracing = await startTracing({ serviceName: 'arc-unit', exporter });
    expect(tracingEnabled()).toBe(true);
    const pool = traceQueries({ query: async (_text: string) => ({ rowCount: 3 }) });
    await pool.query('SELECT outside a request'); // not traced: no request around it

    const server = serverSpan('serve brain', CALLER, { 'arc.function': 'brain' });
    expect(parseTraceparent(server.traceparent)?.traceId).toBe(parseTraceparent(CALLER)?.traceId);
    let sent = '';
    await server.run(() =>
      withSpan('brain.retrieve_context', {}, async () => {
        await pool.query('SELECT * FROM agents.conversations');
        sent = clientSpan('call embed', undefined, {}).traceparent;
        for await (const _ of tracedStream(
          'tts.synthesize',
          {},
          (async function* () {
            yield 1;
            yield 2;
          })(),
        ));
      }),
    );
    server.end('ok');
    await tracing?.flush();

    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const serve = byName('serve brain')[0];
    const step = byName('brain.retrieve_context')[0];
    expect(serve?.parentSpanContext?.spanId).toBe(parseTraceparent(CALLER)?.spanId);
    expect(serve?.spanContext().spanId).toBe(parseTraceparent(server.traceparent)?.spanId);
    expect(step?.parentSpanContext?.spanId).toBe(serve?.spanContext().spanId);
    expect(byName('db SELECT')).toHaveLength(1);
    expect(byName('db SELECT')[0]?.parentSpanContext?.spanId).toBe(step?.spanContext().spanId);
    expect(byName('db SELECT')[0]?.attributes['db.response.returned_rows']).toBe(3);
    expect(parseTraceparent(sent)?.traceId).toBe(parseTraceparent(CALLER)?.traceId);
    const stream = byName('tts.synthesize')[0];
    expect(stream?.attributes['arc.items']).toBe(2);
    expect(stream?.events.map((e) => e.name)).toEqual(['first item']);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([parseTraceparent(CALLER)?.traceId]));
  });

  it("a call made under someone else's active span starts its own trace; their spans are not exported", async () => {
    exporter.reset();
    const foreign = trace.getTracer('livekit-agents').startSpan('agent_turn');
    const call = context.with(trace.setSpan(context.active(), foreign), () =>
      clientSpan('call session-write', undefined, {}),
    );
    call.end('ok');
    foreign.end();
    await tracing?.flush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['call session-write']);
    expect(spans[0]?.parentSpanContext).toBeUndefined();
    expect(spans[0]?.spanContext().traceId).not.toBe(foreign.spanContext().traceId);
  });

  it('failures mark spans with their error code; startSpanAs makes the span a traceparent already named', async () => {
    exporter.reset();
    const server = serverSpan('serve tts', undefined, {});
    await expect(
      server.run(() =>
        withSpan('step', {}, async () => {
          throw Object.assign(new Error('engine died'), { code: 'unavailable' });
        }),
      ),
    ).rejects.toThrow('engine died');
    server.end('unavailable', new Error('engine died'));
    const turn = startSpanAs(CALLER, 'turn');
    turn?.end();
    await tracing?.flush();
    const spans = exporter.getFinishedSpans();
    for (const name of ['step', 'serve tts']) {
      const s = spans.find((x) => x.name === name);
      expect(s?.status.code, name).toBe(2); // SpanStatusCode.ERROR
      expect(s?.attributes['arc.outcome'], name).toBe('unavailable');
    }
    const root = spans.find((s) => s.name === 'turn');
    expect(root?.spanContext().traceId).toBe(parseTraceparent(CALLER)?.traceId);
    expect(root?.spanContext().spanId).toBe(parseTraceparent(CALLER)?.spanId);
    expect(root?.parentSpanContext).toBeUndefined();
  });
});
