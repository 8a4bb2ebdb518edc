// Writes one session event to the database in one transaction; every event is idempotent by its id.
import {
  assertVectorFits,
  type Database,
  endSession,
  ensureSession,
  incrementTurnCount,
  insertConversation,
  insertRecording,
  inTransaction,
  toDbError,
  upsertSessionStart,
} from '../../lib/db/index.js';
import type { SessionEvent } from '../../lib/protocol/index.js';

export type EmbedOne = (text: string, signal?: AbortSignal) => Promise<{ model: string; vector: number[] }>;

/** What applying an event did: `written` is false when a replay found it already stored. */
export interface ApplyResult {
  id: string;
  written: boolean;
}

/**
 * Applies one event. The embedding (when the event carries none) is computed before the transaction, so a
 * slow or failing embedder never holds a connection, and nothing is written half-way.
 */
export async function applySessionEvent(
  db: Database,
  event: SessionEvent,
  embedOne: EmbedOne,
  signal?: AbortSignal,
): Promise<ApplyResult> {
  await db.ensureSchema();
  let vector: number[] | undefined;
  if (event.kind === 'turn') {
    const e = event.embedding ?? (await embedOne(event.text, signal));
    assertVectorFits(db.spec, e.model, e.vector);
    vector = e.vector;
  }
  try {
    return await inTransaction(db.pool, async (client) => {
      switch (event.kind) {
        case 'session-start':
          await upsertSessionStart(client, {
            id: event.sessionId,
            userId: event.userId,
            roomId: event.roomId,
            startTime: event.startTime,
          });
          return { id: event.eventId, written: true };
        case 'turn': {
          await ensureSession(client, { id: event.sessionId, userId: event.userId, time: event.createdAt });
          const written = await insertConversation(client, {
            id: event.eventId,
            userId: event.userId,
            sessionId: event.sessionId,
            role: event.role,
            text: event.text,
            interrupted: event.interrupted ?? false,
            embedding: vector as number[],
            createdAt: event.createdAt,
          });
          if (written) await incrementTurnCount(client, event.sessionId);
          return { id: event.eventId, written };
        }
        case 'session-end':
          await endSession(client, event.sessionId, event.endTime);
          return { id: event.eventId, written: true };
        case 'recording': {
          const written = await insertRecording(client, {
            id: event.eventId,
            sessionId: event.sessionId,
            mime: event.mime,
            audio: event.audio === undefined ? undefined : Buffer.from(event.audio, 'base64'),
            uri: event.uri,
            createdAt: event.createdAt,
          });
          return { id: event.eventId, written };
        }
      }
    });
  } catch (err) {
    throw toDbError(err, `writing ${event.kind} ${event.eventId}`);
  }
}
