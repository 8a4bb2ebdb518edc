// The durable path: events go into a JetStream stream first; a writer loop commits them and acks only after commit.
import {
  AckPolicy,
  type Consumer,
  type JetStreamClient,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { isTransientDbError } from '../../lib/db/index.js';
import type { Logger } from '../../lib/log.js';
import { ArcError, type SessionEvent, sessionWriteRequest, toArcError } from '../../lib/protocol/index.js';
import { sleep } from '../../lib/util/abort.js';
import type { ApplyResult } from './apply.js';

export interface DurableOptions {
  /** Stream name (SESSIONS in production; tests pass their own so parallel files never share one). */
  stream: string;
  /** Subject prefix; events go to `<prefix>.<sessionId>`. */
  subjectPrefix: string;
  /** Durable consumer shared by every replica: a work queue, each event to one writer. */
  durable: string;
}

const ns = (ms: number) => ms * 1_000_000;
/** How long an event may sit unacked with a writer before JetStream gives it to another (writer died). */
const ACK_WAIT_MS = 30_000;
/** Ordering hiccups (an end before its start, across replicas) are retried this often before giving up. */
const MAX_NOT_FOUND_DELIVERIES = 10;

/** Creates (or updates) the stream and its durable consumer; idempotent. */
export async function ensureStream(nc: NatsConnection, o: DurableOptions): Promise<JetStreamClient> {
  const jsm = await jetstreamManager(nc, { timeout: 5_000 });
  const config = {
    name: o.stream,
    subjects: [`${o.subjectPrefix}.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    // Publishing the same event id twice within this window stores it once.
    duplicate_window: ns(120_000),
  };
  try {
    await jsm.streams.info(o.stream);
    await jsm.streams.update(o.stream, config);
  } catch (err) {
    if (!/stream not found/i.test((err as Error).message)) throw err;
    await jsm.streams.add(config);
  }
  await jsm.consumers.add(o.stream, {
    durable_name: o.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: ns(ACK_WAIT_MS),
    max_deliver: -1,
    max_ack_pending: 256,
  });
  return jetstream(nc, { timeout: 5_000 });
}

/** Publishes an event; resolves once JetStream has stored it (the event survives any outage after this). */
export async function enqueueEvent(js: JetStreamClient, o: DurableOptions, event: SessionEvent): Promise<void> {
  await js.publish(`${o.subjectPrefix}.${event.sessionId}`, JSON.stringify(event), { msgID: event.eventId });
}

export interface WriterLoop {
  stop(): Promise<void>;
}

/**
 * Pulls events and applies them in order. A transient failure (database down) keeps the event in hand — the ack
 * deadline extended — and retries with backoff until the database is back, so order is kept and nothing is lost;
 * permanent failures (bad event, unknown session for too long) are terminated and logged.
 */
export function startWriterLoop(
  js: JetStreamClient,
  o: DurableOptions,
  apply: (event: SessionEvent, signal: AbortSignal) => Promise<ApplyResult>,
  log: Logger,
): WriterLoop {
  const stopping = new AbortController();
  const signal = stopping.signal;
  const run = async () => {
    let consumer: Consumer | undefined;
    while (!signal.aborted) {
      try {
        consumer ??= await js.consumers.get(o.stream, o.durable);
        const batch = await consumer.fetch({ max_messages: 32, expires: 1_000 });
        for await (const msg of batch) {
          if (signal.aborted) {
            msg.nak();
            continue;
          }
          await handle(msg);
        }
      } catch (err) {
        if (signal.aborted) break;
        log.warn({ err: (err as Error).message }, 'session writer: fetching events failed; retrying');
        consumer = undefined;
        await sleep(500, signal).catch(() => {});
      }
    }
  };

  async function handle(msg: JsMsg): Promise<void> {
    let event: SessionEvent;
    try {
      event = sessionWriteRequest.parse(msg.json());
    } catch (err) {
      log.error({ seq: msg.seq, err: (err as Error).message }, 'session writer: dropping an event that is not valid');
      msg.term('invalid event');
      return;
    }
    let delay = 100;
    for (;;) {
      try {
        const r = await apply(event, signal);
        await msg.ackAck().catch(() => msg.ack());
        log.debug({ eventId: r.id, kind: event.kind, written: r.written }, 'session event committed');
        return;
      } catch (err) {
        if (signal.aborted) {
          msg.nak();
          return;
        }
        const e = toArcError(err);
        if (e.code === 'not_found' && msg.info.deliveryCount < MAX_NOT_FOUND_DELIVERIES) {
          // Its session-start may still be on its way through another replica.
          msg.nak(1_000 * msg.info.deliveryCount);
          return;
        }
        if (!isTransientDbError(err) && !HOLD_CODES.has(e.code)) {
          if (e.retryable) {
            // Some other dependency hiccup: let JetStream redeliver it later rather than block the queue.
            msg.nak(Math.min(30_000, 500 * msg.info.deliveryCount));
            return;
          }
          log.error(
            { eventId: event.eventId, kind: event.kind, code: e.code, err: e.message },
            'session writer: event refused; dropped',
          );
          msg.term(e.message.slice(0, 200));
          return;
        }
        log.warn(
          { eventId: event.eventId, err: e.message, retryInMs: delay },
          'session writer: database unavailable; holding the event and retrying',
        );
        msg.working();
        await sleep(delay, signal).catch(() => {});
        delay = Math.min(delay * 2, 2_000);
      }
    }
  }

  const done = run();
  return {
    async stop() {
      stopping.abort(new ArcError('cancelled', 'session writer stopping'));
      await done;
    },
  };
}

/** Failures that mean "the database (or embed) is down right now": keep the event in hand and wait. */
const HOLD_CODES = new Set(['unavailable', 'timeout', 'connection_lost']);
