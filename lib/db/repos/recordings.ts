// agents.recordings: audio of a session, inline (bytea) or by reference (uri); idempotent by event id.
import { ArcError } from '../../protocol/index.js';
import type { Queryable } from '../pool.js';

export interface RecordingRow {
  id: string;
  sessionId: string;
  mime: string;
  audio?: Uint8Array;
  uri?: string;
  createdAt: string;
}

/** Stores a recording unless its id exists; `not_found` when the session is unknown. */
export async function insertRecording(db: Queryable, r: RecordingRow): Promise<boolean> {
  const known = await db.query('SELECT 1 FROM agents.sessions WHERE id = $1', [r.sessionId]);
  if (known.rowCount === 0)
    throw new ArcError('not_found', `session ${r.sessionId} is unknown: cannot attach a recording`);
  const res = await db.query(
    `INSERT INTO agents.recordings (id, session_id, mime, audio, uri, created_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
    [r.id, r.sessionId, r.mime, r.audio ? Buffer.from(r.audio) : null, r.uri ?? null, r.createdAt],
  );
  return (res.rowCount ?? 0) > 0;
}

export async function countRecordings(db: Queryable, sessionId: string): Promise<number> {
  const res = await db.query('SELECT count(*)::int AS n FROM agents.recordings WHERE session_id = $1', [sessionId]);
  return res.rows[0].n as number;
}
