// Serves one runtime over NATS: a queue-group subscription (the warm pool), streamed replies, cancel subject.
import {
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  headers as natsHeaders,
  type Subscription,
} from '@nats-io/transport-node';
import { parseHeartbeatInterval } from '../bus/heartbeat.js';
import type { NatsLink } from '../bus/nats-link.js';
import type { Logger } from '../log.js';
import { HDR_HEARTBEAT } from '../protocol/headers.js';
import {
  ArcError,
  CANCEL_WILDCARD,
  encodeJson,
  HDR_END,
  HDR_ERROR,
  HDR_HANDLER_MS,
  HDR_REPLICA,
  HDR_REQUEST_ID,
  HDR_SEQ,
  HDR_TRACEPARENT,
  toArcError,
} from '../protocol/index.js';
import type { FunctionRuntime, RequestInput } from './runtime.js';

const CANCEL_PREFIX = CANCEL_WILDCARD.slice(0, -1);
const EMPTY = new Uint8Array(0);

export interface NatsServing {
  /** Stops taking new requests (queue subscription drained); in-flight ones continue. */
  stopAccepting(): Promise<void>;
}

/** Subscribes the runtime whenever the link is connected; nats.js re-subscribes by itself after reconnects. */
export function serveOverNats(runtime: FunctionRuntime, link: NatsLink, log: Logger): NatsServing {
  let subs: Subscription[] = [];
  let accepting = true;

  const subscribe = (nc: NatsConnection) => {
    if (!accepting || subs.length > 0) return;
    const { subject, name } = runtime.contract;
    subs = [
      nc.subscribe(subject, {
        queue: name,
        callback: (err, msg) => {
          if (err) log.warn({ err }, 'request subscription error');
          else void handle(runtime, nc, msg);
        },
      }),
      nc.subscribe(CANCEL_WILDCARD, {
        callback: (_err, msg) => {
          if (runtime.cancel(msg.subject.slice(CANCEL_PREFIX.length))) {
            log.debug({ requestId: msg.subject.slice(CANCEL_PREFIX.length) }, 'request cancelled');
          }
        },
      }),
    ];
    log.info({ subject, queue: name, replica: runtime.replicaId }, 'serving over NATS');
  };

  const offConnect = link.onConnect(subscribe);
  // With the connection gone nobody can receive these replies; the client falls back and retries elsewhere.
  const offDisconnect = link.onDisconnect(() => {
    const n = runtime.cancelTransport('nats', new ArcError('connection_lost', 'NATS connection lost'));
    if (n > 0) log.warn({ aborted: n }, 'aborted NATS requests after disconnect');
  });

  return {
    async stopAccepting() {
      accepting = false;
      offConnect();
      offDisconnect();
      const [requests, cancels] = subs;
      subs = [];
      // Drain delivers what the server already sent us, then unsubscribes; cancels stay until the end.
      if (requests && link.connected) await requests.drain().catch(() => {});
      else requests?.unsubscribe();
      cancels?.unsubscribe();
    },
  };
}

async function handle(runtime: FunctionRuntime, nc: NatsConnection, msg: Msg): Promise<void> {
  const input: RequestInput = {
    transport: 'nats',
    bytes: msg.data,
    requestId: msg.headers?.get(HDR_REQUEST_ID) || undefined,
    traceparent: msg.headers?.get(HDR_TRACEPARENT) || undefined,
  };
  if (!msg.reply) return; // a publish without a reply subject has nobody to answer to
  const reply = msg.reply;
  const beat = heartbeat(nc, reply, runtime, parseHeartbeatInterval(msg.headers?.get(HDR_HEARTBEAT)));
  try {
    if (runtime.contract.mode === 'unary') {
      try {
        const res = await runtime.unary(input);
        beat.stop();
        publish(nc, reply, encodeJson(res), replyHeaders(runtime));
      } catch (err) {
        beat.stop();
        respondError(reply, nc, toArcError(err), runtime);
      }
      return;
    }
    let seq = 0;
    const received = performance.now();
    try {
      const call = runtime.stream(input);
      const binary = runtime.contract.encoding === 'binary';
      for await (const chunk of call.chunks) {
        const h = replyHeaders(runtime, call.headers);
        if (seq === 0) h.set(HDR_HANDLER_MS, (performance.now() - received).toFixed(1));
        h.set(HDR_SEQ, String(seq++));
        beat.sent();
        publish(nc, reply, binary ? (chunk as Uint8Array) : encodeJson(chunk), h);
      }
      const end = replyHeaders(runtime, call.headers);
      end.set(HDR_SEQ, String(seq));
      end.set(HDR_END, '1');
      beat.stop();
      publish(nc, reply, EMPTY, end);
    } catch (err) {
      beat.stop();
      respondError(reply, nc, toArcError(err), runtime, seq);
    }
  } finally {
    beat.stop();
  }
}

/**
 * Proof of life for a caller that asked for it (`Arc-Heartbeat: <ms>`): an empty message whenever nothing else
 * was sent for an interval, from receipt (queued for a slot included) until the reply is complete.
 */
function heartbeat(nc: NatsConnection, reply: string, runtime: FunctionRuntime, intervalMs: number | undefined) {
  if (intervalMs === undefined) return { sent() {}, stop() {} };
  let last = performance.now();
  const timer = setInterval(function sendHeartbeat() {
    if (performance.now() - last < intervalMs * 0.8) return;
    last = performance.now();
    const h = replyHeaders(runtime);
    h.set(HDR_HEARTBEAT, '1');
    publish(nc, reply, EMPTY, h);
  }, intervalMs);
  timer.unref();
  return {
    sent() {
      last = performance.now();
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** A reply to a caller that may be gone, over a connection that may be closing: never throw from here. */
function publish(nc: NatsConnection, subject: string, data: Uint8Array, headers: MsgHdrs): void {
  if (nc.isClosed()) return;
  try {
    nc.publish(subject, data, { headers });
  } catch {
    // Closed or draining between the check and the publish: the caller's own deadline reports it.
  }
}

function replyHeaders(runtime: FunctionRuntime, extra?: Record<string, string>): MsgHdrs {
  const h = natsHeaders();
  h.set(HDR_REPLICA, runtime.replicaId);
  if (extra) for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return h;
}

function respondError(reply: string, nc: NatsConnection, err: ArcError, runtime: FunctionRuntime, seq?: number) {
  const h = replyHeaders(runtime);
  h.set(HDR_ERROR, err.code);
  if (seq !== undefined) h.set(HDR_SEQ, String(seq));
  publish(nc, reply, encodeJson(err.toWire()), h);
}
