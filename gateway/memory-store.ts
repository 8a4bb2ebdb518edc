// Read-only queries the memory page needs that lib/db/repos does not offer yet (a session list, a session's
// turns). Scoped to one user in the same statement, like searchConversations.
import type { Queryable } from '../lib/db/index.js';

export interface SessionSummary {
  id: string;
  roomId: string | null;
  startTime: string;
  endTime: string | null;
  /** Null while the session has not ended (or ended without a session-end). */
  durationSeconds: number | null;
  turnCount: number;
  /** The user's first words, as a title. */
  firstWords: string | null;
}

export interface TranscriptTurn {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  interrupted: boolean;
  createdAt: string;
}

export async function listSessions(db: Queryable, userId: string, limit: number): Promise<SessionSummary[]> {
  const res = await db.query(
    `SELECT s.id, s.room_id, s.start_time, s.end_time, s.duration_seconds, s.turn_count,
       (SELECT c.text FROM agents.conversations c
         WHERE c.session_id = s.id AND c.user_id = s.user_id AND c.role = 'user'
         ORDER BY c.created_at, c.id LIMIT 1) AS first_words
     FROM agents.sessions s
     WHERE s.user_id = $1
     ORDER BY s.start_time DESC
     LIMIT $2`,
    [userId, limit],
  );
  return res.rows.map((r) => ({
    id: r.id,
    roomId: r.room_id,
    startTime: (r.start_time as Date).toISOString(),
    endTime: r.end_time ? (r.end_time as Date).toISOString() : null,
    durationSeconds: r.duration_seconds === null ? null : Number(r.duration_seconds),
    turnCount: r.turn_count,
    firstWords: r.first_words,
  }));
}

/** One session of one user, or undefined (unknown, or another user's: the caller cannot tell which). */
export async function sessionTranscript(
  db: Queryable,
  userId: string,
  sessionId: string,
): Promise<{ session: SessionSummary; turns: TranscriptTurn[] } | undefined> {
  const s = await db.query(
    `SELECT id, room_id, start_time, end_time, duration_seconds, turn_count
     FROM agents.sessions WHERE id = $1 AND user_id = $2`,
    [sessionId, userId],
  );
  const r = s.rows[0];
  if (!r) return undefined;
  const t = await db.query(
    `SELECT id, role, text, interrupted, created_at FROM agents.conversations
     WHERE session_id = $1 AND user_id = $2 ORDER BY created_at, id`,
    [sessionId, userId],
  );
  const turns: TranscriptTurn[] = t.rows.map((row) => ({
    id: row.id,
    role: row.role,
    text: row.text,
    interrupted: row.interrupted,
    createdAt: (row.created_at as Date).toISOString(),
  }));
  return {
    session: {
      id: r.id,
      roomId: r.room_id,
      startTime: (r.start_time as Date).toISOString(),
      endTime: r.end_time ? (r.end_time as Date).toISOString() : null,
      durationSeconds: r.duration_seconds === null ? null : Number(r.duration_seconds),
      turnCount: r.turn_count,
      firstWords: turns.find((x) => x.role === 'user')?.text ?? null,
    },
    turns,
  };
}

/** A Markdown transcript: a heading, the facts, then one line per turn. */
export function toMarkdown(userId: string, t: { session: SessionSummary; turns: TranscriptTurn[] }): string {
  const s = t.session;
  const lines = [
    `# Conversation ${s.id}`,
    '',
    `- User: ${userId}`,
    `- Started: ${s.startTime}`,
    `- Ended: ${s.endTime ?? '(not ended)'}`,
    `- Duration: ${s.durationSeconds === null ? 'unknown' : `${Math.round(s.durationSeconds)} s`}`,
    `- Turns: ${t.turns.length}`,
    '',
  ];
  for (const turn of t.turns) {
    const who = turn.role === 'user' ? '**You**' : '**Agent**';
    const time = turn.createdAt.slice(11, 19);
    const cut = turn.interrupted ? ' _(interrupted)_' : '';
    lines.push(`${who} (${time}): ${escapeMarkdown(turn.text)}${cut}`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]<>#|])/g, '\\$1').replace(/\s*\n\s*/g, ' ');
}
