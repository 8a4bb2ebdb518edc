// Client side of NATS: request-reply for unary calls, an inbox subscription for streamed replies.
import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  errors as natsErrors,
  headers as natsHeaders,
} from '@nats-io/transport-node';
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
import { raceAbort } from '../../util/abort.js';
import { AsyncQueue } from '../../util/async-queue.js';
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
    const nc = this.connection();
    const lost = new AbortController();
    const off = this.link.onDisconnect(() =>
      lost.abort(new TransportError('connection_lost', 'NATS connection lost during the call', true)),
    );
    try {
      const reply = nc.request(contract.subject, payload.bytes, {
        timeout: ctx.firstChunkTimeoutMs,
        headers: requestHeaders(ctx),
      });
      const msg = await raceAbort(reply, ctx.signal, lost.signal);
      return decodeReply(msg, contract.name);
    } catch (err) {
      throw this.translate(err, contract, ctx);
    } finally {
      off();
    }
  }

  stream(contract: AnyContract, payload: Payload, ctx: CallContext): AsyncIterableIterator<StreamedChunk> {
    if (contract.mode !== 'stream') throw new ArcError('internal', `${contract.name} is not a stream`);
    const nc = this.connection();
    const queue = new AsyncQueue<Msg>(
      MAX_BUFFERED_CHUNKS,
      () => new TransportError('stream_broken', 'stream consumer fell too far behind', true),
    );
    const { inbox, release } = this.inbox(nc, (msg) => queue.push(msg));
    const offLost = this.link.onDisconnect(() =>
      queue.fail(new TransportError('connection_lost', 'NATS connection lost during the stream', true)),
    );
    // Cancel at once, even if nobody pulls again: the replica hears arc.cancel.<id> right away.
    const onAbort = () => {
      queue.fail(new CancelledError());
      finish(true);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    const finish = (cancelRemote: boolean) => {
      if (finished) return;
      finished = true;
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
    let expected = 0;
    const binary = contract.encoding === 'binary';
    const iterator: AsyncIterableIterator<StreamedChunk> = {
      next: async () => {
        if (finished) return { done: true, value: undefined };
        let msg: Msg;
        try {
          const first = expected === 0;
          const r = await queue.next(first ? ctx.firstChunkTimeoutMs : ctx.idleTimeoutMs, () =>
            first
              ? new TransportError(
                  'first_chunk_timeout',
                  `no first chunk from ${contract.name} within ${ctx.firstChunkTimeoutMs} ms`,
                  true,
                )
              : new TransportError('idle_timeout', `${contract.name} stream idle for ${ctx.idleTimeoutMs} ms`, true),
          );
          msg = r.value as Msg;
        } catch (err) {
          finish(true);
          throw this.translate(err, contract, ctx);
        }
        const h = msg.headers;
        if (h?.code === 503) {
          finish(false);
          throw new TransportError(
            'unavailable',
            `no replica of ${contract.name} is listening on ${contract.subject}`,
            false,
          );
        }
        if (h?.has(HDR_ERROR)) {
          finish(false);
          throw ArcError.fromWire(decodeJson(msg.data, `${contract.name} error`));
        }
        const seq = Number(h?.get(HDR_SEQ));
        if (seq !== expected) {
          finish(true);
          throw new TransportError(
            'stream_broken',
            `${contract.name} stream: expected chunk ${expected}, got ${h?.get(HDR_SEQ) || 'none'}`,
            true,
          );
        }
        if (h?.get(HDR_END) === '1') {
          finish(false);
          return { done: true, value: undefined };
        }
        expected++;
        const data = binary
          ? msg.data
          : validate(contract.chunk, decodeJson(msg.data, `${contract.name} chunk`), `${contract.name} chunk`);
        return { done: false, value: seq === 0 ? { data, headers: headersToRecord(h) } : { data } };
      },
      return: async () => {
        finish(true);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return iterator;
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
  h.set(HDR_REQUEST_ID, ctx.requestId);
  h.set(HDR_TRACEPARENT, ctx.traceparent);
  return h;
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
