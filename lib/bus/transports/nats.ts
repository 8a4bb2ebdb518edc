// Client side of NATS: request-reply for unary calls, an inbox subscription for streamed replies.
import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  errors as natsErrors,
  headers as natsHeaders,
} from '@nats-io/transport-node';
import { HDR_HEARTBEAT } from '../../protocol/headers.js';
import {
  type AnyContract,
  ArcError,
  CancelledError,
  cancelSubject,
  decodeJson,
  HDR_END,
  HDR_ERROR,
  HDR_REQUEST_ID,
  HDR_SEQ,
  HDR_TRACEPARENT,
  PayloadTooLargeError,
  validate,
} from '../../protocol/index.js';
import { AsyncQueue } from '../../util/async-queue.js';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_SILENCE_MS } from '../heartbeat.js';
import type { NatsLink } from '../nats-link.js';
import {
  type CallContext,
  type ClientTransport,
  type Payload,
  type StreamedChunk,
  TransportError,
} from './transport.js';

/** Unread chunks one stream may hold before it is declared broken (a consumer that stopped reading). */
const MAX_BUFFERED_CHUNKS = 10_000;

export class NatsTransport implements ClientTransport {
  readonly kind = 'nats' as const;
  /** One wildcard inbox subscription per connection shared by all streams (no SUB/UNSUB per call). */
  private mux:
    | { nc: NatsConnection; prefix: string; routes: Map<string, (msg: Msg) => void>; next: number }
    | undefined;

  constructor(private readonly link: NatsLink) {}

  usable(): boolean {
    return this.link.connected;
  }

  cancel(requestId: string): void {
    const nc = this.link.connection;
    if (this.link.connected && nc) nc.publish(cancelSubject(requestId));
  }

  async unary(contract: AnyContract, payload: Payload, ctx: CallContext): Promise<unknown> {
    // Over the shared inbox rather than nc.request(): heartbeats can arrive before the reply, so a replica killed
    // mid-request is noticed in ~1.6 s instead of at the deadline.
    const call = this.exchange(contract, payload, ctx);
    try {
      const msg = await call.pull(ctx.firstChunkTimeoutMs, 'timeout');
      if (msg.headers?.get(HDR_END) === '1' && msg.headers?.has(HDR_SEQ)) {
        throw new TransportError('protocol_error', `${contract.name} sent a stream end to a unary call`, true);
      }
      return decodeReply(msg, contract.name);
    } finally {
      call.finish(false);
    }
  }

  stream(contract: AnyContract, payload: Payload, ctx: CallContext): AsyncIterableIterator<StreamedChunk> {
    if (contract.mode !== 'stream') throw new ArcError('internal', `${contract.name} is not a stream`);
    const call = this.exchange(contract, payload, ctx);
    let expected = 0;
    const binary = contract.encoding === 'binary';
    const iterator: AsyncIterableIterator<StreamedChunk> = {
      next: async () => {
        if (call.finished) return { done: true, value: undefined };
        const first = expected === 0;
        const msg = await call.pull(
          first ? ctx.firstChunkTimeoutMs : ctx.idleTimeoutMs,
          first ? 'first_chunk_timeout' : 'idle_timeout',
        );
        const h = msg.headers;
        if (h?.has(HDR_ERROR)) {
          call.finish(false);
          throw ArcError.fromWire(decodeJson(msg.data, `${contract.name} error`));
        }
        const seq = Number(h?.get(HDR_SEQ));
        if (seq !== expected) {
          call.finish(true);
          throw new TransportError(
            'stream_broken',
            `${contract.name} stream: expected chunk ${expected}, got ${h?.get(HDR_SEQ) || 'none'}`,
            true,
          );
        }
        if (h?.get(HDR_END) === '1') {
          call.finish(false);
          return { done: true, value: undefined };
        }
        expected++;
        const data = binary
          ? msg.data
          : validate(contract.chunk, decodeJson(msg.data, `${contract.name} chunk`), `${contract.name} chunk`);
        return { done: false, value: seq === 0 ? { data, headers: headersToRecord(h) } : { data } };
      },
      return: async () => {
        call.finish(true);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return iterator;
  }

  /**
   * Publishes a request with a reply inbox and returns a puller of its replies that skips heartbeats, enforces
   * the caller's deadline, and declares the replica lost when it stays silent past HEARTBEAT_SILENCE_MS.
   */
  private exchange(contract: AnyContract, payload: Payload, ctx: CallContext) {
    const nc = this.connection();
    const queue = new AsyncQueue<Msg>(
      MAX_BUFFERED_CHUNKS,
      () => new TransportError('stream_broken', 'stream consumer fell too far behind', true),
    );
    const { inbox, release } = this.inbox(nc, (msg) => queue.push(msg));
    const offLost = this.link.onDisconnect(() =>
      queue.fail(new TransportError('connection_lost', `NATS connection lost during the ${contract.name} call`, true)),
    );
    // Cancel at once, even if nobody pulls again: the replica hears arc.cancel.<id> right away.
    const onAbort = () => {
      queue.fail(new CancelledError());
      finish(true);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const state = { finished: false };
    const finish = (cancelRemote: boolean) => {
      if (state.finished) return;
      state.finished = true;
      release();
      offLost();
      ctx.signal.removeEventListener('abort', onAbort);
      if (cancelRemote) this.cancel(ctx.requestId);
    };
    try {
      nc.publish(contract.subject, payload.bytes, { reply: inbox, headers: requestHeaders(ctx) });
    } catch (err) {
      finish(false);
      throw this.translate(err, contract, ctx);
    }
    let heardFrom = false;
    const pull = async (deadlineMs: number, code: 'timeout' | 'first_chunk_timeout' | 'idle_timeout') => {
      const until = performance.now() + deadlineMs;
      try {
        for (;;) {
          const left = until - performance.now();
          const silent = left > HEARTBEAT_SILENCE_MS;
          let r: IteratorResult<Msg>;
          try {
            r = await queue.next(Math.max(0, Math.min(left, HEARTBEAT_SILENCE_MS)), () =>
              silent
                ? new TransportError(
                    'connection_lost',
                    `${contract.name} replica went silent (no heartbeat for ${HEARTBEAT_SILENCE_MS} ms)`,
                    true,
                    { details: { replicaLost: true } },
                  )
                : new TransportError(code, `no ${describe(code)} from ${contract.name} within ${deadlineMs} ms`, true),
            );
          } catch (err) {
            // After a stall of this process's own event loop, timers run before the socket is read: heartbeats
            // may be waiting unread. Let one I/O poll run before calling the replica silent.
            if (!(err instanceof TransportError && (err.details as { replicaLost?: boolean } | undefined)?.replicaLost))
              throw err;
            await new Promise((resolve) => setImmediate(resolve));
            if (queue.size === 0) throw err;
            continue;
          }
          if (r.done) throw new TransportError('stream_broken', `${contract.name} reply ended early`, true);
          const msg = r.value;
          if (msg.headers?.code === 503) {
            throw new TransportError(
              'unavailable',
              `no replica of ${contract.name} is listening on ${contract.subject}`,
              heardFrom,
            );
          }
          heardFrom = true;
          if (msg.headers?.get(HDR_HEARTBEAT) === '1' && !msg.headers.has(HDR_SEQ)) continue;
          return msg;
        }
      } catch (err) {
        finish(!(err instanceof TransportError && err.code === 'unavailable'));
        throw this.translate(err, contract, ctx);
      }
    };
    return {
      pull,
      finish,
      get finished() {
        return state.finished;
      },
    };
  }

  private inbox(nc: NatsConnection, deliver: (msg: Msg) => void): { inbox: string; release: () => void } {
    if (this.mux?.nc !== nc) {
      const routes = new Map<string, (msg: Msg) => void>();
      const prefix = createInbox();
      nc.subscribe(`${prefix}.*`, { callback: (_err, msg) => routes.get(msg.subject)?.(msg) });
      this.mux = { nc, prefix, routes, next: 0 };
    }
    const mux = this.mux;
    const inbox = `${mux.prefix}.${(mux.next++).toString(36)}`;
    mux.routes.set(inbox, deliver);
    return { inbox, release: () => mux.routes.delete(inbox) };
  }

  private connection(): NatsConnection {
    const nc = this.link.connection;
    if (!nc || !this.link.connected) throw new TransportError('unavailable', 'NATS is not connected', false);
    return nc;
  }

  /** Maps nats.js and our own failures to typed errors; `delivered` says whether a fallback may duplicate work. */
  private translate(err: unknown, contract: AnyContract, ctx: CallContext): ArcError {
    if (err instanceof ArcError) return err;
    if (ctx.signal.aborted) return new CancelledError();
    if (err instanceof natsErrors.RequestError && err.isNoResponders()) {
      return new TransportError(
        'unavailable',
        `no replica of ${contract.name} is listening on ${contract.subject}`,
        false,
        { cause: err },
      );
    }
    if (err instanceof natsErrors.NoRespondersError) {
      return new TransportError(
        'unavailable',
        `no replica of ${contract.name} is listening on ${contract.subject}`,
        false,
        { cause: err },
      );
    }
    if (err instanceof natsErrors.TimeoutError) {
      return new TransportError(
        'timeout',
        `${contract.name} did not reply within ${ctx.firstChunkTimeoutMs} ms`,
        true,
        { cause: err },
      );
    }
    if (err instanceof natsErrors.InvalidArgumentError && /max_payload/.test(err.message)) {
      const nc = this.link.connection;
      return new PayloadTooLargeError(0, nc?.info?.max_payload ?? 0);
    }
    if (err instanceof natsErrors.ClosedConnectionError || err instanceof natsErrors.DrainingConnectionError) {
      return new TransportError('unavailable', 'NATS connection is closed', false, { cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new TransportError('unavailable', `NATS call failed: ${message}`, true, { cause: err });
  }
}

function requestHeaders(ctx: CallContext): MsgHdrs {
  const h = natsHeaders();
  h.set(HDR_HEARTBEAT, String(HEARTBEAT_INTERVAL_MS));
  h.set(HDR_REQUEST_ID, ctx.requestId);
  h.set(HDR_TRACEPARENT, ctx.traceparent);
  return h;
}

function describe(code: string): string {
  return code === 'timeout' ? 'reply' : code === 'first_chunk_timeout' ? 'first chunk' : 'chunk';
}

function decodeReply(msg: Msg, name: string): unknown {
  if (msg.headers?.has(HDR_ERROR)) throw ArcError.fromWire(decodeJson(msg.data, `${name} error`));
  return decodeJson(msg.data, `${name} reply`);
}

function headersToRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h) for (const k of h.keys()) out[k] = h.get(k);
  return out;
}
