// agents.conversations: one row per spoken turn, with its embedding; semantic search scoped to one user.
import pgvector from 'pgvector';
import type { Queryable } from '../pool.js';

export interface ConversationRow {
  /** The session-write event id: a replayed event finds its row and inserts nothing. */
  id: string;
  userId: string;
  sessionId: string;
  role: 'user' | 'assistant';
  text: string;
  interrupted: boolean;
  embedding: ArrayLike<number>;
  createdAt: string;
}

/** A stored turn found by search or recency, without its vector. */
export interface StoredTurn {
  id: string;
  sessionId: string;
  role: 'user' | 'assistant';
  text: string;
  /** Cosine similarity to the query vector (1 = same direction). */
  similarity: number;
  createdAt: string;
}

export interface SearchOptions {
  /** How many rows (top-k). */
  k?: number;
  /** Bypass the HNSW index: an exact scan, for benchmarks and recall checks. */
  exact?: boolean;
  /** Only turns of this role (the brain recalls what the user said, not its own replies). */
  role?: 'user' | 'assistant';
}

const TURN_COLUMNS = 'id, session_id, role, text, created_at';

/** Inserts a turn unless its id exists; returns true when a row was written. */
export async function insertConversation(db: Queryable, row: ConversationRow): Promise<boolean> {
  const res = await db.query(
    `INSERT INTO agents.conversations (id, user_id, session_id, role, text, interrupted, embedding, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (id) DO NOTHING`,
    [
      row.id,
      row.userId,
      row.sessionId,
      row.role,
      row.text,
      row.interrupted,
      pgvector.toSql(Array.from(row.embedding)),
      row.createdAt,
    ],
  );
  return (res.rowCount ?? 0) > 0;
}

/**
 * Top-k turns of one user by cosine similarity to `vector`. Never returns another user's rows: the
 * filter is in the same statement. With the index, pgvector's iterative scan keeps the filtered result full;
 * the outer ORDER BY restores exact order after its relaxed ordering.
 */
export async function searchConversations(
  db: Queryable,
  userId: string,
  vector: ArrayLike<number>,
  options: SearchOptions = {},
): Promise<StoredTurn[]> {
  const k = Math.max(1, Math.min(options.k ?? 5, 100));
  // `+ 0` hides the operator from the planner, which then cannot use the HNSW index: an exact scan.
  const distance = options.exact ? '(embedding <=> $2) + 0' : 'embedding <=> $2';
  const res = await db.query(
    `WITH nearest AS MATERIALIZED (
       SELECT ${TURN_COLUMNS}, ${distance} AS distance
       FROM agents.conversations
       WHERE user_id = $1 AND ($4::text IS NULL OR role = $4)
       ORDER BY ${distance}
       LIMIT $3
     )
     SELECT * FROM nearest ORDER BY distance`,
    [userId, pgvector.toSql(Array.from(vector)), k, options.role ?? null],
  );
  return res.rows.map(toTurn);
}

/** The last `n` turns of one session (oldest first), each with its similarity to `vector`. */
export async function recentConversations(
  db: Queryable,
  sessionId: string,
  userId: string,
  vector: ArrayLike<number>,
  n: number,
): Promise<StoredTurn[]> {
  const res = await db.query(
    `SELECT * FROM (
       SELECT ${TURN_COLUMNS}, embedding <=> $3 AS distance
       FROM agents.conversations
       WHERE session_id = $1 AND user_id = $2
       ORDER BY created_at DESC, id DESC
       LIMIT $4
     ) recent ORDER BY created_at, id`,
    [sessionId, userId, pgvector.toSql(Array.from(vector)), Math.max(0, Math.min(n, 50))],
  );
  return res.rows.map(toTurn);
}

/** Counts a user's stored turns (all users when `userId` is undefined). */
export async function countConversations(db: Queryable, userId?: string): Promise<number> {
  const res =
    userId === undefined
      ? await db.query('SELECT count(*)::int AS n FROM agents.conversations')
      : await db.query('SELECT count(*)::int AS n FROM agents.conversations WHERE user_id = $1', [userId]);
  return res.rows[0].n as number;
}

function toTurn(r: Record<string, unknown>): StoredTurn {
  return {
    id: r.id as string,
    sessionId: r.session_id as string,
    role: r.role as 'user' | 'assistant',
    text: r.text as string,
    similarity: 1 - Number(r.distance),
    createdAt: (r.created_at as Date).toISOString(),
  };
}
