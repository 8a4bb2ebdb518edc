// The transport-agnostic core of a replica: admission, validation, deadlines, cancellation, drain.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import { requestLogger } from '../log.js';
import {
  type AnyContract,
  ArcError,
  BusyError,
  CancelledError,
  decodeRequest,
  REQUEST_ID_PATTERN,
  TimeoutError,
  toArcError,
  UnavailableError,
  validate,
} from '../protocol/index.js';
import {
  functionDuration,
  functionInflight,
  functionRequests,
  type Transport,
  trackReplica,
} from '../telemetry/metrics.js';
import { serverSpan } from '../telemetry/spans.js';
import { traceIdOf } from '../telemetry/trace.js';
import { anySignal, raceAbort } from '../util/abort.js';
import { Semaphore } from '../util/semaphore.js';
import type {
  FunctionDefinition,
  FunctionInstance,
  HandlerContext,
  SetupContext,
  StreamHandler,
  UnaryHandler,
} from './define.js';

export const DEFAULT_MAX_CONCURRENT = 64;
/** Requests that may wait for a slot, per slot; beyond that the replica sheds load with `busy`. */
export const QUEUE_PER_SLOT = 4;

/** How a transport hands a request to the runtime. */
export interface RequestInput {
  transport: Transport;
  /** The raw body (NATS, HTTP) … */
  bytes?: Uint8Array;
  /** … or an already-built value (in-process); validated the same way. */
  value?: unknown;
  /** From the `Arc-Request-Id` header, used when the body carries no requestId. */
  requestId?: string;
  traceparent?: string;
  /** Transport-level abort, e.g. the HTTP client went away. */
  signal?: AbortSignal;
}

/** A running streamed request: headers the handler set, and the chunks. */
export interface StreamCall {
  requestId: string;
  headers: Record<string, string>;
  /** Iterate it to the end or call `return()`: either releases the request. */
  chunks: AsyncIterableIterator<unknown>;
}

interface Inflight {
  controller: AbortController;
  transport: Transport;
}

export type RuntimeState = 'starting' | 'ready' | 'draining' | 'stopped' | 'failed';

export class FunctionRuntime<C extends AnyContract = AnyContract> {
  readonly contract: C;
  readonly replicaId: string;
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  private readonly slots: Semaphore;
  private instance: FunctionInstance<C> | undefined;
  private readonly inflight = new Map<string, Inflight>();
  private idleWaiters: (() => void)[] = [];
  private stateValue: RuntimeState = 'starting';
  private failure: string | undefined;

  constructor(
    private readonly definition: FunctionDefinition<C>,
    private readonly log: Logger,
    replicaId?: string,
  ) {
    this.contract = definition.contract;
    this.replicaId = replicaId ?? `${definition.contract.name}-${randomUUID().slice(0, 8)}`;
    this.maxConcurrent = definition.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
    this.maxQueued = definition.maxQueued ?? this.maxConcurrent * QUEUE_PER_SLOT;
    this.slots = new Semaphore(this.maxConcurrent);
    trackReplica(this);
  }

  get state(): RuntimeState {
    return this.stateValue;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Runs the function's setup (models, connections) once; requests are refused until it is done. */
  async start(ctx: SetupContext): Promise<void> {
    const t0 = performance.now();
    try {
      this.instance = await this.definition.setup(ctx);
      this.stateValue = 'ready';
      this.log.info(
        { function: this.contract.name, replica: this.replicaId, setupMs: Math.round(performance.now() - t0) },
        'function ready',
      );
    } catch (err) {
      this.stateValue = 'failed';
      this.failure = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  /** Readiness as `/_/ready` reports it. */
  async readiness(): Promise<{ ok: boolean; state: RuntimeState; detail?: string }> {
    if (this.stateValue !== 'ready') {
      return { ok: false, state: this.stateValue, detail: this.failure ?? `replica is ${this.stateValue}` };
    }
    const extra = await this.instance?.ready?.();
    return extra ? { ...extra, state: this.stateValue } : { ok: true, state: this.stateValue };
  }

  /** Aborts one request by id (from `arc.cancel.<id>`); unknown ids are ignored. */
  cancel(requestId: string, reason: ArcError = new CancelledError()): boolean {
    const entry = this.inflight.get(requestId);
    if (!entry) return false;
    entry.controller.abort(reason);
    return true;
  }

  /** Aborts every request that came in over one transport (e.g. NATS disconnected: nobody can get the reply). */
  cancelTransport(transport: Transport, reason: ArcError): number {
    let n = 0;
    for (const entry of this.inflight.values()) {
      if (entry.transport === transport) {
        entry.controller.abort(reason);
        n++;
      }
    }
    return n;
  }

  /** Takes no new requests, lets in-flight ones finish for up to `graceMs`, then aborts the rest. */
  async drain(graceMs: number): Promise<{ completed: boolean; aborted: number }> {
    if (this.stateValue === 'ready' || this.stateValue === 'starting') this.stateValue = 'draining';
    const idle = new Promise<void>((resolve) => {
      if (this.inflight.size === 0) resolve();
      else this.idleWaiters.push(resolve);
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([idle.then(() => 'idle' as const), timedOut]);
    clearTimeout(timer);
    let aborted = 0;
    if (outcome === 'timeout') {
      for (const entry of this.inflight.values()) {
        entry.controller.abort(new UnavailableError('replica shut down before the request finished'));
        aborted++;
      }
    }
    return { completed: outcome === 'idle', aborted };
  }

  async close(): Promise<void> {
    this.stateValue = 'stopped';
    await this.instance?.close?.();
  }

  /** Runs a unary request to completion; every failure is an ArcError. */
  async unary(input: RequestInput): Promise<unknown> {
    if (this.contract.mode !== 'unary')
      throw new ArcError('protocol_error', `${this.contract.name} is a streaming function`);
    const { req, ctx, finish, run } = this.admit(input);
    let res: unknown;
    let release: (() => void) | undefined;
    try {
      release = await this.slots.acquire(ctx.signal);
      const handler = this.instance?.handle as UnaryHandler<never>;
      res = await raceAbort(
        run(() => handler(req as never, ctx)),
        ctx.signal,
      );
    } catch (err) {
      const e = this.abortReason(ctx.signal) ?? toArcError(err);
      finish(e.code, err);
      throw e;
    } finally {
      release?.();
    }
    try {
      const checked = validate(this.contract.response, res, `${this.contract.name} response`);
      finish('ok');
      return checked;
    } catch (err) {
      // A handler that breaks its own contract is a bug here, not the caller's.
      finish('internal', err);
      throw new ArcError('internal', (err as Error).message, { cause: err });
    }
  }

  /** Starts a streamed request. Admission and validation errors throw here; later ones from the iterator. */
  stream(input: RequestInput): StreamCall {
    if (this.contract.mode !== 'stream')
      throw new ArcError('protocol_error', `${this.contract.name} is a unary function`);
    const headers: Record<string, string> = {};
    const { req, ctx, finish, abort, run } = this.admit(input, headers);
    const handler = this.instance?.handle as StreamHandler<never>;
    let producer: AsyncIterator<unknown> | undefined;
    let release: (() => void) | undefined;
    let closed = false;
    const close = (outcome: string, err?: unknown) => {
      if (closed) return;
      closed = true;
      release?.();
      if (outcome === 'cancelled' && !ctx.signal.aborted) abort(new CancelledError('the consumer stopped reading'));
      // The producer may be parked in an await; ask it to stop without waiting for it.
      producer?.return?.().catch(() => {});
      finish(outcome, err);
    };
    const chunks: AsyncIterableIterator<unknown> = {
      next: async () => {
        if (closed) return { done: true, value: undefined };
        try {
          if (!producer) {
            release = await this.slots.acquire(ctx.signal);
            producer = run(() => handler(req as never, ctx)[Symbol.asyncIterator]());
          }
          const p = producer;
          const r = await raceAbort(
            run(() => p.next()),
            ctx.signal,
          );
          if (r.done) close('ok');
          return r;
        } catch (err) {
          const e = this.abortReason(ctx.signal) ?? toArcError(err);
          close(e.code, err);
          throw e;
        }
      },
      // Called when the consumer stops early (client gone, for-await broken): the handler sees its signal abort.
      return: async () => {
        close('cancelled');
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return { requestId: ctx.requestId, headers, chunks };
  }

  private admit(input: RequestInput, streamHeaders?: Record<string, string>) {
    if (this.stateValue !== 'ready') {
      throw new UnavailableError(`${this.contract.name} replica ${this.replicaId} is ${this.stateValue}`);
    }
    if (this.slots.running >= this.maxConcurrent && this.slots.waiting >= this.maxQueued) {
      functionRequests.inc({ function: this.contract.name, transport: input.transport, outcome: 'busy' });
      throw new BusyError(
        `${this.contract.name} replica ${this.replicaId} is busy: ${this.maxConcurrent} running, ${this.maxQueued} waiting`,
      );
    }
    let req: unknown;
    try {
      req =
        input.bytes !== undefined
          ? decodeRequest(this.contract, input.bytes)
          : validate(this.contract.request, input.value, `${this.contract.name} request`);
    } catch (err) {
      functionRequests.inc({
        function: this.contract.name,
        transport: input.transport,
        outcome: toArcError(err).code,
      });
      throw err;
    }
    const bodyId = (req as { requestId?: unknown }).requestId;
    const requestId =
      typeof bodyId === 'string'
        ? bodyId
        : input.requestId && REQUEST_ID_PATTERN.test(input.requestId)
          ? input.requestId
          : randomUUID();
    // The request's span (a no-op unless tracing is on); the handler's own spans and calls become its children.
    const span = serverSpan(`serve ${this.contract.name}`, input.traceparent, {
      'arc.function': this.contract.name,
      'arc.transport': input.transport,
      'arc.replica': this.replicaId,
      'arc.request_id': requestId,
    });
    const traceparent = span.traceparent;
    const log = requestLogger(this.log, requestId, traceIdOf(traceparent));
    const controller = new AbortController();
    const deadline = setTimeout(
      () => controller.abort(new TimeoutError(`${this.contract.name} request`, this.contract.timeoutMs)),
      this.contract.timeoutMs,
    );
    const signal = anySignal(controller.signal, input.signal);
    // A second request with a live id would make `arc.cancel.<id>` ambiguous; the newer one wins the slot.
    this.inflight.set(requestId, { controller, transport: input.transport });
    functionInflight.inc({ function: this.contract.name });
    const started = performance.now();
    let finished = false;
    const finish = (outcome: string, err?: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      if (this.inflight.get(requestId)?.controller === controller) this.inflight.delete(requestId);
      functionInflight.dec({ function: this.contract.name });
      const seconds = (performance.now() - started) / 1000;
      functionRequests.inc({ function: this.contract.name, transport: input.transport, outcome });
      functionDuration.observe({ function: this.contract.name, transport: input.transport }, seconds);
      span.end(outcome, err);
      if (outcome === 'ok' || outcome === 'cancelled') {
        log.debug({ outcome, ms: Math.round(seconds * 1000), transport: input.transport }, 'request done');
      } else {
        const level = outcome === 'internal' ? 'error' : 'warn';
        log[level]({ outcome, ms: Math.round(seconds * 1000), transport: input.transport, err }, 'request failed');
      }
      if (this.inflight.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    };
    const ctx: HandlerContext = {
      requestId,
      signal,
      log,
      traceparent,
      transport: input.transport,
      setStreamHeader: (name, value) => {
        if (streamHeaders) streamHeaders[name] = value;
      },
    };
    return { req, ctx, finish, abort: (reason: ArcError) => controller.abort(reason), run: span.run };
  }

  /** The typed reason behind an aborted signal (cancel, deadline, shutdown, client gone). */
  private abortReason(signal: AbortSignal): ArcError | undefined {
    if (!signal.aborted) return undefined;
    return signal.reason instanceof ArcError ? signal.reason : new CancelledError();
  }
}
