// session.write: conversation events made durable in JetStream, then committed idempotently by event id.
import type { JetStreamClient } from '@nats-io/jetstream';
import { assertVectorFits, openDatabase } from '../../lib/db/index.js';
import { embeddingSpecFromConfig } from '../../lib/engines/embedding/index.js';
import {
  InvalidRequestError,
  isArcError,
  SESSIONS_STREAM,
  type SessionEvent,
  sessionWriteContract,
} from '../../lib/protocol/index.js';
import { defineFunction } from '../../lib/runtime/define.js';
import { applySessionEvent, type EmbedOne } from './apply.js';
import { type DurableOptions, enqueueEvent, ensureStream, startWriterLoop, type WriterLoop } from './durable.js';

export interface SessionWriteOptions {
  /** NATS subject of the function (tests use their own). */
  subject?: string;
  /** JetStream names; production uses the SESSIONS stream. */
  durable?: Partial<DurableOptions>;
}

export const DEFAULT_DURABLE: DurableOptions = {
  stream: SESSIONS_STREAM,
  subjectPrefix: 'sessions.events',
  durable: 'session-writer',
};

/** Builds the function; the default export is the production one. */
export function sessionWriteFunction(options: SessionWriteOptions = {}) {
  const contract = options.subject ? { ...sessionWriteContract, subject: options.subject } : sessionWriteContract;
  const durable = { ...DEFAULT_DURABLE, ...options.durable };
  return defineFunction(
    contract,
    async ({ config, log, nats, client }) => {
      const spec = embeddingSpecFromConfig(config);
      const db = await openDatabase({ config, log, spec, migrate: false });
      try {
        await db.ensureSchema();
      } catch (err) {
        if (isArcError(err, 'dimension_mismatch')) {
          await db.close();
          throw err; // a model switch needs `npm run re-embed`, not a retry
        }
        log.warn({ err: (err as Error).message }, 'database not reachable yet: events will wait in JetStream');
      }
      const embedOne: EmbedOne = async (text, signal) => {
        const r = await client.call('embed', { texts: [text] }, { signal });
        return { model: r.model, vector: r.vectors[0] ?? [] };
      };
      const apply = (event: SessionEvent, signal?: AbortSignal) => applySessionEvent(db, event, embedOne, signal);

      let js: JetStreamClient | undefined;
      let loop: WriterLoop | undefined;
      let starting: Promise<void> | undefined;
      const startDurable = () => {
        starting ??= (async () => {
          const nc = await nats.ready(2_000);
          js = await ensureStream(nc, durable);
          loop = startWriterLoop(js, durable, apply, log);
          log.info(
            { stream: durable.stream, consumer: durable.durable },
            'session events are durable through JetStream',
          );
        })().catch((err) => {
          starting = undefined;
          log.warn({ err: (err as Error).message }, 'JetStream unavailable: writing events straight to the database');
        });
        return starting;
      };
      await startDurable();
      const offConnect = nats.onConnect(() => void (js ? undefined : startDurable()));

      return {
        handle: async (req, ctx) => {
          checkEvent(req, spec);
          if (js && nats.connected) {
            try {
              await enqueueEvent(js, durable, req);
              return { ok: true as const, id: req.eventId, status: 'queued' as const };
            } catch (err) {
              ctx.log.warn(
                { err: (err as Error).message },
                'JetStream publish failed: writing straight to the database',
              );
            }
          }
          const r = await apply(req, ctx.signal);
          return { ok: true as const, id: r.id, status: 'committed' as const };
        },
        ready: () => ({ ok: true, detail: js ? `durable via JetStream ${durable.stream}` : 'direct database writes' }),
        close: async () => {
          offConnect();
          await loop?.stop();
          await db.close();
        },
      };
    },
    { maxConcurrent: 32 },
  );
}

/** Refuses at once what the database would refuse later, so a queued event can always be written. */
function checkEvent(event: SessionEvent, spec: { model: string; dim: number }): void {
  if (event.kind === 'turn') {
    if (event.text.includes('\u0000')) throw new InvalidRequestError('text: must not contain NUL characters');
    if (event.embedding) assertVectorFits(spec, event.embedding.model, event.embedding.vector);
  }
}

export default sessionWriteFunction();
