// Versioned, idempotent migrations of the `agents` schema; the embedding dimension D is fixed when they first run.
import type pg from 'pg';
import type { Logger } from '../log.js';
import { inTransaction } from './pool.js';

/** Which embedding model the store's vectors come from; D = `dim`. */
export interface EmbeddingSpec {
  /** Stable model id, e.g. `use-lite-512` or `onnx:all-MiniLM-L6-v2`. */
  model: string;
  dim: number;
}

export interface Migration {
  version: number;
  name: string;
  /** Statements run in order inside one transaction; each is idempotent on its own too (IF NOT EXISTS). */
  statements: (spec: EmbeddingSpec) => string[];
}

/** Never edit an applied migration: add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'schema and store metadata',
    statements: () => [
      'CREATE EXTENSION IF NOT EXISTS vector',
      'CREATE SCHEMA IF NOT EXISTS agents',
      `CREATE TABLE IF NOT EXISTS agents.store_meta (
         key text PRIMARY KEY,
         value text NOT NULL
       )`,
    ],
  },
  {
    version: 2,
    name: 'sessions',
    statements: () => [
      `CREATE TABLE IF NOT EXISTS agents.sessions (
         id text PRIMARY KEY,
         room_id text,
         user_id text NOT NULL,
         start_time timestamptz NOT NULL,
         end_time timestamptz,
         duration_seconds double precision,
         turn_count integer NOT NULL DEFAULT 0
       )`,
      'CREATE INDEX IF NOT EXISTS sessions_user_id_idx ON agents.sessions (user_id)',
    ],
  },
  {
    version: 3,
    name: 'conversations with embeddings',
    statements: (spec) => [
      `CREATE TABLE IF NOT EXISTS agents.conversations (
         id text PRIMARY KEY,
         user_id text NOT NULL,
         session_id text NOT NULL REFERENCES agents.sessions (id),
         role text NOT NULL CHECK (role IN ('user', 'assistant')),
         text text NOT NULL,
         interrupted boolean NOT NULL DEFAULT false,
         embedding vector(${Math.trunc(spec.dim)}) NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
      // Separate statements: PostgreSQL has no inline INDEX clause in CREATE TABLE.
      'CREATE INDEX IF NOT EXISTS conversations_user_id_idx ON agents.conversations (user_id)',
      'CREATE INDEX IF NOT EXISTS conversations_created_at_idx ON agents.conversations (created_at)',
      'CREATE INDEX IF NOT EXISTS conversations_session_idx ON agents.conversations (session_id, created_at)',
      HNSW_INDEX_SQL,
      `INSERT INTO agents.store_meta (key, value) VALUES
         ('embedding_model', '${escapeLiteral(spec.model)}'), ('embedding_dim', '${Math.trunc(spec.dim)}')
       ON CONFLICT (key) DO NOTHING`,
    ],
  },
  {
    version: 4,
    name: 'recordings',
    statements: () => [
      `CREATE TABLE IF NOT EXISTS agents.recordings (
         id text PRIMARY KEY,
         session_id text NOT NULL REFERENCES agents.sessions (id),
         mime text NOT NULL,
         audio bytea,
         uri text,
         created_at timestamptz NOT NULL DEFAULT now(),
         CHECK ((audio IS NULL) <> (uri IS NULL))
       )`,
      'CREATE INDEX IF NOT EXISTS recordings_session_id_idx ON agents.recordings (session_id)',
    ],
  },
];

/** The approximate-nearest-neighbour index; re-embedding drops and recreates it. */
export const HNSW_INDEX_SQL =
  'CREATE INDEX IF NOT EXISTS conversations_embedding_hnsw_idx ON agents.conversations ' +
  'USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)';

/** Arbitrary constant: serialises migrations of concurrent processes on one database. */
const MIGRATION_LOCK_KEY = 731_104_001;

/**
 * Applies every migration not applied yet, each in its own transaction under an advisory lock, so two
 * processes starting together do not race. Running it again is a no-op. Returns the versions applied now.
 */
export async function migrate(pool: pg.Pool, spec: EmbeddingSpec, log: Logger): Promise<number[]> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query('CREATE SCHEMA IF NOT EXISTS agents');
    await client.query(`CREATE TABLE IF NOT EXISTS agents.schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    const done = await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const { rowCount } = await client.query('SELECT 1 FROM agents.schema_migrations WHERE version = $1', [m.version]);
      if (rowCount) return false;
      for (const sql of m.statements(spec)) await client.query(sql);
      await client.query('INSERT INTO agents.schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) {
      applied.push(m.version);
      log.info({ version: m.version, name: m.name }, 'migration applied');
    }
  }
  return applied;
}

function escapeLiteral(s: string): string {
  return s.replace(/'/g, "''");
}
