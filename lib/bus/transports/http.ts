// Client side of the HTTP fallback: POST <gateway>/function/<name>; streams read as Server-Sent Events.
import {
  type AnyContract,
  ArcError,
  CancelledError,
  CONTENT_TYPE_JSON,
  CONTENT_TYPE_SSE,
  decodeJson,
  ERROR_CODES,
  type ErrorCode,
  HDR_REQUEST_ID,
  HDR_TRACEPARENT,
  type SseEvent,
  SseParser,
  validate,
} from '../../protocol/index.js';
import { type BasicCredentials, basicAuthHeader } from '../../runtime/basic-auth.js';
import { AsyncQueue } from '../../util/async-queue.js';
import {
  type CallContext,
  type ClientTransport,
  type Payload,
  type StreamedChunk,
  TransportError,
} from './transport.js';

/** Unread chunks one stream may hold before it is declared broken. */
const MAX_BUFFERED_CHUNKS = 10_000;

/** Where a function is reachable over HTTP: a gateway base URL, or a function-by-function resolver. */
export type HttpRoutes = string | ((name: string) => string | undefined);

export class HttpTransport implements ClientTransport {
  readonly kind = 'http' as const;

  private readonly authorization: string | undefined;

  /** `auth`: HTTP Basic credentials the function endpoints require (BASIC_AUTH_USER / BASIC_AUTH_PASSWORD). */
  constructor(
    private readonly routes: HttpRoutes,
    auth?: BasicCredentials,
  ) {
    this.authorization = auth ? basicAuthHeader(auth) : undefined;
  }

  usable(name: string): boolean {
    return this.url(name) !== undefined;
  }

  async unary(contract: AnyContract, payload: Payload, ctx: CallContext): Promise<unknown> {
    const timer = new TimeoutSignal(ctx.firstChunkTimeoutMs);
    try {
      const res = await this.post(contract, payload, ctx, CONTENT_TYPE_JSON, timer.signal);
      const body = new Uint8Array(await res.arrayBuffer());
      if (!res.ok) throw errorFromResponse(res.status, body, contract.name);
      return decodeJson(body, `${contract.name} reply`);
    } catch (err) {
      throw translate(err, contract, ctx, timer, 'timeout');
    } finally {
      timer.clear();
    }
  }

  stream(contract: AnyContract, payload: Payload, ctx: CallContext): AsyncIterableIterator<StreamedChunk> {
    if (contract.mode !== 'stream') throw new ArcError('internal', `${contract.name} is not a stream`);
    const chunkSchema = contract.encoding === 'json' ? contract.chunk : undefined;
    const timer = new TimeoutSignal(ctx.firstChunkTimeoutMs);
    // Bounded like the NATS side: a consumer that stopped reading must not buffer a whole reply in memory.
    const queue = new AsyncQueue<StreamedChunk>(
      MAX_BUFFERED_CHUNKS,
      () => new TransportError('stream_broken', 'stream consumer fell too far behind', true),
    );
    let started = false;
    let finished = false;
    const reader = (async () => {
      const res = await this.post(contract, payload, ctx, CONTENT_TYPE_SSE, timer.signal);
      if (!res.ok || !res.body) {
        throw errorFromResponse(res.status, new Uint8Array(await res.arrayBuffer()), contract.name);
      }
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        headers[k] = v;
      });
      const parser = new SseParser();
      const decoder = new TextDecoder();
      let expected = 0;
      for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const event of parser.feed(decoder.decode(bytes, { stream: true }))) {
          if (handleEvent(event)) return;
        }
      }
      throw new TransportError('stream_broken', `${contract.name} stream ended without an end event`, true);

      function handleEvent(event: SseEvent): boolean {
        if (event.event === 'error') throw ArcError.fromWire(JSON.parse(event.data));
        if (event.id !== undefined && Number(event.id) !== expected) {
          throw new TransportError(
            'stream_broken',
            `${contract.name} stream: expected chunk ${expected}, got ${event.id}`,
            true,
          );
        }
        if (event.event === 'end') return true;
        if (event.event !== 'chunk') return false;
        const data = chunkSchema
          ? validate(chunkSchema, JSON.parse(event.data), `${contract.name} chunk`)
          : new Uint8Array(Buffer.from(event.data, 'base64'));
        queue.push(expected === 0 ? { data, headers } : { data });
        expected++;
        started = true;
        timer.reset(ctx.idleTimeoutMs);
        return false;
      }
    })();
    reader.then(
      () => queue.end(),
      (err) => queue.fail(translate(err, contract, ctx, timer, started ? 'idle_timeout' : 'first_chunk_timeout')),
    );
    const stop = () => {
      if (finished) return;
      finished = true;
      timer.abort(new CancelledError('stream closed by the caller'));
    };
    return {
      next: async () => {
        try {
          const r = await queue.next();
          if (r.done) finished = true;
          return r;
        } catch (err) {
          finished = true;
          timer.clear();
          throw err;
        }
      },
      return: async () => {
        stop();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private url(name: string): string | undefined {
    if (typeof this.routes === 'function') return this.routes(name);
    return `${this.routes.replace(/\/+$/, '')}/function/${name}`;
  }

  private async post(contract: AnyContract, payload: Payload, ctx: CallContext, accept: string, timeout: AbortSignal) {
    const url = this.url(contract.name);
    if (!url) throw new TransportError('unavailable', `no HTTP route for ${contract.name}`, false);
    try {
      return await fetch(url, {
        method: 'POST',
        body: payload.bytes as Uint8Array<ArrayBuffer>,
        headers: {
          'Content-Type': CONTENT_TYPE_JSON,
          Accept: accept,
          [HDR_REQUEST_ID]: ctx.requestId,
          [HDR_TRACEPARENT]: ctx.traceparent,
          ...(this.authorization ? { Authorization: this.authorization } : {}),
        },
        signal: AbortSignal.any([ctx.signal, timeout]),
      });
    } catch (err) {
      if (ctx.signal.aborted || timeout.aborted) throw err;
      // Connection refused / reset before a response: nothing reached a replica, falling back is safe.
      throw new TransportError('unavailable', `HTTP ${url} unreachable: ${causeMessage(err)}`, false, { cause: err });
    }
  }
}

/** An abort signal on a timer that can be re-armed (idle timeouts) or fired by hand (caller closed). */
class TimeoutSignal {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.reset(ms);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get timedOut(): boolean {
    return this.controller.signal.aborted && this.controller.signal.reason === 'timeout';
  }

  reset(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort('timeout'), ms);
  }

  abort(reason: unknown): void {
    clearTimeout(this.timer);
    this.controller.abort(reason);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

function translate(
  err: unknown,
  contract: AnyContract,
  ctx: CallContext,
  timer: TimeoutSignal,
  timeoutCode: 'timeout' | 'first_chunk_timeout' | 'idle_timeout',
): ArcError {
  if (ctx.signal.aborted) return new CancelledError();
  if (timer.timedOut) {
    const ms = timeoutCode === 'idle_timeout' ? ctx.idleTimeoutMs : ctx.firstChunkTimeoutMs;
    return new TransportError(timeoutCode, `${contract.name} over HTTP: no data within ${ms} ms`, true);
  }
  if (err instanceof ArcError) return err;
  if (timer.signal.aborted) return new CancelledError();
  const why = causeMessage(err);
  // The socket died under a request already sent: the replica (or the proxy in front of it) is gone.
  const lost = /UND_ERR_SOCKET|ECONNRESET|EPIPE|other side closed|terminated/i.test(why);
  return new TransportError('stream_broken', `${contract.name} over HTTP failed: ${why}`, true, {
    cause: err,
    details: lost ? { replicaLost: true } : undefined,
  });
}

function errorFromResponse(status: number, body: Uint8Array, name: string): ArcError {
  const fallback = statusToCode(status);
  try {
    return ArcError.fromWire(decodeJson(body), fallback);
  } catch {
    const text = new TextDecoder().decode(body).slice(0, 200);
    // A gateway in front may answer 502/503 itself, without our JSON.
    return new TransportError(
      fallback,
      `${name} over HTTP: status ${status}${text ? `: ${text}` : ''}`,
      status !== 503,
    );
  }
}

function statusToCode(status: number): ErrorCode {
  for (const [code, info] of Object.entries(ERROR_CODES)) if (info.status === status) return code as ErrorCode;
  return status >= 500 ? 'upstream' : 'protocol_error';
}

function causeMessage(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
