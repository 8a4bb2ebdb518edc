// agents.sessions: one row per conversation session; every write is idempotent under replay.
import { ArcError } from '../../protocol/index.js';
import type { Queryable } from '../pool.js';

export interface SessionRow {
  id: string;
  roomId: string | null;
  userId: string;
  startTime: string;
  endTime: string | null;
  durationSeconds: number | null;
  turnCount: number;
}

/**
 * Records a session start. A row made earlier by a turn that arrived first is completed (room, earliest start);
 * a session id that belongs to another user is refused.
 */
export async function upsertSessionStart(
  db: Queryable,
  s: { id: string; userId: string; roomId?: string; startTime: string },
): Promise<void> {
  const res = await db.query(
    `INSERT INTO agents.sessions (id, room_id, user_id, start_time) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET
       room_id = COALESCE(EXCLUDED.room_id, agents.sessions.room_id),
       start_time = LEAST(agents.sessions.start_time, EXCLUDED.start_time)
     WHERE agents.sessions.user_id = EXCLUDED.user_id`,
    [s.id, s.roomId ?? null, s.userId, s.startTime],
  );
  if (res.rowCount === 0) throw sessionOwnedByOther(s.id);
}

/** Makes sure a session row exists for a turn (turns may arrive before their session-start on replay). */
export async function ensureSession(db: Queryable, s: { id: string; userId: string; time: string }): Promise<void> {
  await db.query(
    `INSERT INTO agents.sessions (id, user_id, start_time) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
    [s.id, s.userId, s.time],
  );
  const res = await db.query('SELECT user_id FROM agents.sessions WHERE id = $1', [s.id]);
  if (res.rows[0]?.user_id !== s.userId) throw sessionOwnedByOther(s.id);
}

/** Counts one more stored turn; call only when the turn's row was really inserted. */
export async function incrementTurnCount(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE agents.sessions SET turn_count = turn_count + 1 WHERE id = $1', [id]);
}

/** Records the end and duration; `not_found` when the session is unknown. Re-applying it changes nothing. */
export async function endSession(db: Queryable, id: string, endTime: string): Promise<void> {
  const res = await db.query(
    `UPDATE agents.sessions
     SET end_time = $2::timestamptz,
         duration_seconds = GREATEST(0, EXTRACT(EPOCH FROM ($2::timestamptz - start_time)))
     WHERE id = $1`,
    [id, endTime],
  );
  if (res.rowCount === 0) throw new ArcError('not_found', `session ${id} is unknown: no session-start or turn for it`);
}

export async function getSession(db: Queryable, id: string): Promise<SessionRow | undefined> {
  const res = await db.query('SELECT * FROM agents.sessions WHERE id = $1', [id]);
  const r = res.rows[0];
  if (!r) return undefined;
  return {
    id: r.id,
    roomId: r.room_id,
    userId: r.user_id,
    startTime: (r.start_time as Date).toISOString(),
    endTime: r.end_time ? (r.end_time as Date).toISOString() : null,
    durationSeconds: r.duration_seconds,
    turnCount: r.turn_count,
  };
}

function sessionOwnedByOther(id: string): ArcError {
  return new ArcError('forbidden', `session ${id} belongs to another user`);
}
