// Serves one runtime over HTTP per the OpenFaaS workload contract: POST /, /_/health, /_/ready, /metrics.
import { Hono } from 'hono';
import {
  ArcError,
  CONTENT_TYPE_NDJSON,
  CONTENT_TYPE_SSE,
  formatSse,
  HDR_ERROR,
  HDR_HANDLER_MS,
  HDR_REPLICA,
  HDR_REQUEST_ID,
  HDR_SAMPLE_RATE,
  HDR_TRACEPARENT,
  PayloadTooLargeError,
  toArcError,
} from '../protocol/index.js';
import { registry } from '../telemetry/metrics.js';
import { type BasicCredentials, basicAuthChecker, WWW_AUTHENTICATE } from './basic-auth.js';
import type { FunctionRuntime, StreamCall } from './runtime.js';

export interface HttpServingOptions {
  /** Extra readiness facts (e.g. NATS up) shown by /_/ready; they do not make it fail. */
  status?: () => Record<string, unknown>;
  /** True once shutdown began: /_/ready fails so load balancers stop sending. */
  stopping?: () => boolean;
  /** Invocations require these HTTP Basic credentials (probes and /metrics stay open, as on OpenFaaS). */
  auth?: BasicCredentials;
}

const encoder = new TextEncoder();

/** A hono app for one function; the embedded gateway mounts it under `/function/<name>`. */
export function createFunctionApp(runtime: FunctionRuntime, options: HttpServingOptions = {}): Hono {
  const app = new Hono();
  const { name } = runtime.contract;

  app.get('/_/health', (c) => c.json({ status: 'ok', function: name, replica: runtime.replicaId }));

  app.get('/_/ready', async function ready(c) {
    const r = await runtime.readiness();
    const ok = r.ok && !options.stopping?.();
    return c.json(
      { ready: ok, function: name, replica: runtime.replicaId, ...r, ...options.status?.() },
      ok ? 200 : 503,
    );
  });

  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));

  const checkAuth = options.auth ? basicAuthChecker(options.auth) : undefined;
  const invoke = async function invoke(c: { req: { raw: Request } }): Promise<Response> {
    const req = c.req.raw;
    const refused = checkAuth?.(req.headers.get('authorization'));
    if (refused) {
      const res = errorResponse(refused, runtime.replicaId);
      res.headers.set('WWW-Authenticate', WWW_AUTHENTICATE);
      return res;
    }
    const base = {
      transport: 'http' as const,
      requestId: req.headers.get(HDR_REQUEST_ID) ?? undefined,
      traceparent: req.headers.get(HDR_TRACEPARENT) ?? undefined,
      signal: req.signal,
    };
    try {
      const bytes = await readBody(req, runtime.contract.maxRequestBytes);
      if (runtime.contract.mode === 'unary') {
        const res = await runtime.unary({ ...base, bytes });
        return Response.json(res, { headers: { [HDR_REPLICA]: runtime.replicaId } });
      }
      const sse = (req.headers.get('accept') ?? '').includes(CONTENT_TYPE_SSE);
      return await streamResponse(runtime, runtime.stream({ ...base, bytes }), sse);
    } catch (err) {
      return errorResponse(toArcError(err), runtime.replicaId);
    }
  };
  app.post('/', invoke);
  app.post(`/function/${name}`, invoke);

  app.notFound((c) =>
    errorResponse(
      new ArcError('not_found', `no route ${c.req.method} ${c.req.path} on function ${name}`),
      runtime.replicaId,
    ),
  );
  app.onError((err) => errorResponse(toArcError(err), runtime.replicaId));
  return app;
}

export function errorResponse(err: ArcError, replica?: string): Response {
  const headers: Record<string, string> = { [HDR_ERROR]: err.code };
  if (replica) headers[HDR_REPLICA] = replica;
  // The unread rest of an oversize body would poison a kept-alive connection; make the client open a new one.
  if (err.code === 'payload_too_large') headers.Connection = 'close';
  return Response.json(err.toWire(), { status: err.status, headers });
}

/** Reads a request body, refusing it as soon as it passes `limit` bytes (no unbounded buffering). */
export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw new PayloadTooLargeError(declared, limit);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(size, limit);
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}

/**
 * Waits for the first chunk before answering, so an early failure (unknown voice, bad input found late)
 * gets a real status code. Then streams: SSE when asked (full fidelity: seq, end, typed error), else the
 * raw chunked body (`audio/L16` for PCM, ndjson for JSON) that plain HTTP clients expect.
 */
async function streamResponse(runtime: FunctionRuntime, call: StreamCall, sse: boolean): Promise<Response> {
  const contract = runtime.contract;
  if (contract.mode !== 'stream') throw new ArcError('internal', 'not a streaming function');
  const binary = contract.encoding === 'binary';
  const iterator = call.chunks;
  const received = performance.now();
  const first = await iterator.next();
  const handlerMs = (performance.now() - received).toFixed(1);
  let seq = 0;
  const encode = (chunk: unknown): Uint8Array => {
    const id = seq++;
    if (sse) {
      const data = binary ? Buffer.from(chunk as Uint8Array).toString('base64') : JSON.stringify(chunk);
      return encoder.encode(formatSse({ event: 'chunk', id: String(id), data }));
    }
    return binary ? (chunk as Uint8Array) : encoder.encode(`${JSON.stringify(chunk)}\n`);
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) {
        if (sse) controller.enqueue(encoder.encode(formatSse({ event: 'end', id: String(seq), data: '' })));
        controller.close();
      } else {
        controller.enqueue(encode(first.value));
      }
    },
    async pull(controller) {
      try {
        const r = await iterator.next();
        if (!r.done) return controller.enqueue(encode(r.value));
        if (sse) controller.enqueue(encoder.encode(formatSse({ event: 'end', id: String(seq), data: '' })));
        controller.close();
      } catch (err) {
        if (!sse) return controller.error(err); // a raw body can only say "broken" by ending abruptly
        const wire = toArcError(err).toWire();
        controller.enqueue(encoder.encode(formatSse({ event: 'error', id: String(seq), data: JSON.stringify(wire) })));
        controller.close();
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  const headers: Record<string, string> = {
    ...call.headers,
    [HDR_REQUEST_ID]: call.requestId,
    [HDR_REPLICA]: runtime.replicaId,
    [HDR_HANDLER_MS]: handlerMs,
    'Cache-Control': 'no-cache',
    'Content-Type': sse
      ? CONTENT_TYPE_SSE
      : binary
        ? rawContentType(contract.contentType, call.headers)
        : CONTENT_TYPE_NDJSON,
  };
  return new Response(body, { status: 200, headers });
}

function rawContentType(base: string, headers: Record<string, string>): string {
  const rate = headers[HDR_SAMPLE_RATE];
  return rate && base === 'audio/L16' ? `audio/L16; rate=${rate}; channels=1` : base;
}
