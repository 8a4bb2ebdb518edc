// FunctionClient: call a function by name. NATS first, then the HTTP gateway, then in-process; every error typed.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import {
  type AnyContract,
  ArcError,
  CancelledError,
  type ChunkOf,
  CONTRACTS,
  type ContractMap,
  type Contracts,
  encodeJson,
  PayloadTooLargeError,
  type RequestOf,
  type ResponseOf,
  type StreamNames,
  toArcError,
  type UnaryNames,
  UnavailableError,
  validate,
} from '../protocol/index.js';
import type { BasicCredentials } from '../runtime/basic-auth.js';
import type { FunctionRuntime } from '../runtime/runtime.js';
import { clientCalls, clientFallbacks, type Transport } from '../telemetry/metrics.js';
import { clientSpan } from '../telemetry/spans.js';
import { childTraceparent } from '../telemetry/trace.js';
import { anySignal } from '../util/abort.js';
import type { NatsLink } from './nats-link.js';
import { clientRetries } from './retry-metrics.js';
import { type HttpRoutes, HttpTransport } from './transports/http.js';
import { InprocTransport } from './transports/inproc.js';
import { NatsTransport } from './transports/nats.js';
import { type CallContext, type ClientTransport, type Payload, TransportError } from './transports/transport.js';

export interface FunctionClientOptions<M extends ContractMap> {
  log: Logger;
  /** NATS, tried first. */
  nats?: NatsLink;
  /** HTTP fallback: a gateway base URL (`<url>/function/<name>`) or a resolver per function. */
  http?: HttpRoutes;
  /** HTTP Basic credentials for the function endpoints (config.functionAuth), sent on every HTTP call. */
  httpAuth?: BasicCredentials;
  /** In-process replicas, the last resort of the embedded default. */
  local?: ReadonlyMap<string, FunctionRuntime>;
  /** Contracts by name; the system's four by default, tests add their own. */
  contracts?: M;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Request id for `Arc-Request-Id` and `arc.cancel.<id>` when the body has none. */
  requestId?: string;
  traceparent?: string;
  /** Unary: reply deadline per transport. Default: the contract's server deadline + 500 ms. */
  timeoutMs?: number;
  /** Restrict (and order) the transports tried, e.g. `['http']` in a benchmark. */
  transports?: Transport[];
}

export interface StreamOptions extends Omit<CallOptions, 'timeoutMs'> {
  firstChunkTimeoutMs?: number;
  idleTimeoutMs?: number;
}

/** A streamed reply: iterate it for chunks; `headers` and `transport` are known after the first chunk. */
export interface FunctionStream<T> extends AsyncIterable<T> {
  readonly requestId: string;
  readonly transport: Transport | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** Stops the stream here and on the replica; iteration ends quietly. */
  cancel(): void;
}

/** Errors that mean "this transport cannot do it now", where the next one may. */
const FALLBACK_CODES = new Set(['unavailable', 'connection_lost', 'first_chunk_timeout', 'timeout', 'busy']);

export class FunctionClient<M extends ContractMap = Contracts> {
  private readonly contracts: M;
  private readonly transports: ClientTransport[];
  private readonly log: Logger;

  constructor(options: FunctionClientOptions<M>) {
    this.contracts = options.contracts ?? (CONTRACTS as unknown as M);
    this.log = options.log;
    this.transports = [];
    if (options.nats) this.transports.push(new NatsTransport(options.nats));
    if (options.http) this.transports.push(new HttpTransport(options.http, options.httpAuth));
    if (options.local) this.transports.push(new InprocTransport(options.local));
  }

  /** Calls a unary function and returns its validated reply. */
  async call<N extends UnaryNames<M>>(
    name: N,
    request: RequestOf<M[N]>,
    options: CallOptions = {},
  ): Promise<ResponseOf<M[N]>> {
    const contract = this.contract(name, 'unary');
    const payload = prepare(contract, request);
    // The call's span (a no-op unless tracing is on): its traceparent is what the replica sees as its parent.
    const span = clientSpan(`call ${name}`, options.traceparent, { 'arc.function': name });
    const ctx = this.context(
      payload,
      { ...options, traceparent: span.traceparent },
      {
        firstChunkTimeoutMs: options.timeoutMs ?? contract.timeoutMs + 500,
        idleTimeoutMs: 0,
      },
    );
    let served: Transport | undefined;
    try {
      const raw = await this.withFallback(contract, ctx, options.transports, (t) => {
        served = t.kind;
        return t.unary(contract, payload, ctx);
      });
      if (contract.mode !== 'unary') throw new ArcError('internal', 'unreachable');
      const res = validate(contract.response, raw, `${name} reply`);
      clientCalls.inc({ function: name, transport: served ?? 'none', outcome: 'ok' });
      span.set({ 'arc.transport': served ?? 'none' });
      span.end('ok');
      return res as ResponseOf<M[N]>;
    } catch (err) {
      const e = ctx.signal.aborted ? new CancelledError() : toArcError(err, 'protocol_error');
      if (e.code === 'cancelled') this.cancelEverywhere(ctx.requestId);
      clientCalls.inc({ function: name, transport: served ?? 'none', outcome: e.code });
      span.set({ 'arc.transport': served ?? 'none' });
      span.end(e.code, e);
      throw e;
    }
  }

  /** Calls a streaming function. Fallback happens only before the first chunk; cancel ends iteration quietly. */
  stream<N extends StreamNames<M>>(
    name: N,
    request: RequestOf<M[N]>,
    options: StreamOptions = {},
  ): FunctionStream<ChunkOf<M[N]>> {
    const contract = this.contract(name, 'stream');
    if (contract.mode !== 'stream') throw new ArcError('internal', 'unreachable');
    const payload = prepare(contract, request);
    const own = new AbortController();
    const span = clientSpan(`call ${name}`, options.traceparent, { 'arc.function': name });
    const ctx = this.context(
      payload,
      { ...options, traceparent: span.traceparent, signal: anySignal(own.signal, options.signal) },
      {
        firstChunkTimeoutMs: options.firstChunkTimeoutMs ?? contract.firstChunkTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs ?? contract.idleTimeoutMs,
      },
    );
    const state: { transport?: Transport; headers: Record<string, string> } = { headers: {} };
    const self = this;
    async function* iterate(): AsyncGenerator<ChunkOf<M[N]>> {
      let it: AsyncIterableIterator<{ data: unknown; headers?: Record<string, string> }> | undefined;
      let outcome = 'ok';
      try {
        const first = await self.withFallback(contract, ctx, options.transports, async (t) => {
          it = t.stream(contract, payload, ctx);
          try {
            const r = await it.next();
            state.transport = t.kind;
            return r;
          } catch (err) {
            await it.return?.();
            throw err;
          }
        });
        if (first.done || !it) return;
        state.headers = first.value.headers ?? {};
        span.event('first chunk', { 'arc.transport': state.transport ?? 'none' });
        yield first.value.data as ChunkOf<M[N]>;
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          yield r.value.data as ChunkOf<M[N]>;
        }
      } catch (err) {
        const e = toArcError(err, 'protocol_error');
        outcome = e.code;
        if (ctx.signal.aborted) {
          outcome = 'cancelled';
          return; // an abort is a quiet exit (the transport already told the replica)
        }
        throw e;
      } finally {
        await it?.return?.();
        clientCalls.inc({ function: name, transport: state.transport ?? 'none', outcome });
        span.set({ 'arc.transport': state.transport ?? 'none' });
        span.end(outcome);
      }
    }
    const generator = iterate();
    return {
      requestId: ctx.requestId,
      get transport() {
        return state.transport;
      },
      get headers() {
        return state.headers;
      },
      cancel: () => own.abort(new CancelledError()),
      [Symbol.asyncIterator]: () => generator,
    };
  }

  /** Best-effort cancel of a request by id on every transport that can reach it. */
  cancelEverywhere(requestId: string): void {
    for (const t of this.transports) t.cancel?.(requestId);
  }

  private contract(name: string, mode: 'unary' | 'stream'): AnyContract {
    const contract = this.contracts[name];
    if (!contract) throw new ArcError('not_found', `unknown function "${name}"`);
    if (contract.mode !== mode)
      throw new ArcError(
        'invalid_request',
        `${name} is a ${contract.mode} function; use ${contract.mode === 'unary' ? 'call' : 'stream'}()`,
      );
    return contract;
  }

  private context(
    payload: Payload,
    options: CallOptions | StreamOptions,
    timeouts: Pick<CallContext, 'firstChunkTimeoutMs' | 'idleTimeoutMs'>,
  ): CallContext {
    const bodyId = (payload.value as { requestId?: unknown }).requestId;
    return {
      requestId: typeof bodyId === 'string' ? bodyId : (options.requestId ?? randomUUID()),
      traceparent: options.traceparent ?? childTraceparent(),
      signal: options.signal ?? new AbortController().signal,
      ...timeouts,
    };
  }

  /** Tries each usable transport in order; moves on only for errors where the next one may succeed. */
  private async withFallback<T>(
    contract: AnyContract,
    ctx: CallContext,
    only: Transport[] | undefined,
    attempt: (t: ClientTransport) => Promise<T>,
  ): Promise<T> {
    const candidates = only
      ? only.map((k) => this.transports.find((t) => t.kind === k)).filter((t): t is ClientTransport => Boolean(t))
      : this.transports;
    const tried: string[] = [];
    let retried = false;
    for (let i = 0; i < candidates.length; i++) {
      const t = candidates[i] as ClientTransport;
      const next = candidates[i + 1];
      try {
        if (!t.usable(contract.name)) {
          throw new TransportError('unavailable', `${t.kind} cannot reach ${contract.name} now`, false);
        }
        return await attempt(t);
      } catch (err) {
        if (ctx.signal.aborted) throw new CancelledError();
        const e = toArcError(err, 'protocol_error');
        tried.push(`${t.kind}: ${e.message}`);
        const delivered = e instanceof TransportError ? e.delivered : true;
        // The replica died under the request (silent, or its connection cut): once per call, an idempotent request
        // goes again the same way — the queue group or the gateway hands it to another replica.
        if (!retried && replicaLost(e) && contract.idempotent && t.usable(contract.name)) {
          retried = true;
          clientRetries.inc({ function: contract.name, transport: t.kind });
          this.log.warn(
            { function: contract.name, requestId: ctx.requestId, transport: t.kind, detail: e.message },
            'replica lost; retrying once on another replica',
          );
          i--;
          continue;
        }
        const canMove = next && FALLBACK_CODES.has(e.code) && (!delivered || contract.idempotent);
        if (!canMove) {
          if (tried.length === 1 || !FALLBACK_CODES.has(e.code)) throw e;
          // Keep the last transport's code; the message tells what each transport said.
          throw new ArcError(e.code, `${contract.name} unreachable: ${tried.join('; ')}`, { cause: e });
        }
        if (delivered) t.cancel?.(ctx.requestId);
        clientFallbacks.inc({ function: contract.name, from: t.kind, to: next.kind, reason: e.code });
        this.log[t.usable(contract.name) ? 'warn' : 'debug'](
          {
            function: contract.name,
            requestId: ctx.requestId,
            from: t.kind,
            to: next.kind,
            reason: e.code,
            detail: e.message,
          },
          'function call falling back',
        );
      }
    }
    throw new UnavailableError(
      candidates.length === 0
        ? `no transport configured to reach ${contract.name}`
        : `${contract.name} unreachable: ${tried.join('; ')}`,
    );
  }
}

/** A failure that says the replica serving the call is gone, as opposed to the transport or the request. */
function replicaLost(e: ArcError): boolean {
  return (e.details as { replicaLost?: boolean } | undefined)?.replicaLost === true;
}

/** Validates and encodes once on the caller's side: bad requests fail fast, without a round trip. */
function prepare(contract: AnyContract, request: unknown): Payload {
  const value = validate(contract.request, request, `${contract.name} request`);
  const bytes = encodeJson(value);
  if (bytes.byteLength > contract.maxRequestBytes) {
    throw new PayloadTooLargeError(bytes.byteLength, contract.maxRequestBytes);
  }
  return { bytes, value };
}
