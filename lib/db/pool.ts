// The one way this project talks SQL: a pg Pool with bounded size, timeouts, and errors that cannot crash us.
import pg from 'pg';
import type { Logger } from '../log.js';
import { traceQueries } from '../telemetry/db.js';

export interface PoolOptions {
  /** postgres:// URL of any PostgreSQL with pgvector, or of the embedded PGlite socket. */
  url: string;
  /** Connections at most. */
  max: number;
  /** Server-side statement timeout; the client also gives up a second after it (PGlite ignores the server one). */
  statementTimeoutMs: number;
  /** How long to wait for a connection (a free slot or a new socket). */
  connectTimeoutMs?: number;
  log: Logger;
}

/** A pg Pool whose idle-client errors are logged, not thrown (a database restart must not kill the process). */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + 1_000,
    // Iterative HNSW scans keep filtered (per-user) searches from coming back short (pgvector ≥ 0.8).
    options: '-c hnsw.iterative_scan=relaxed_order',
    application_name: 'arc-daredevil',
  });
  pool.on('error', (err) => {
    options.log.warn({ err: err.message }, 'idle database connection failed; the pool will open a new one');
  });
  // Queries made while serving a traced request become spans of it (nothing when tracing is off).
  return traceQueries(pool);
}

/** Runs `fn` inside BEGIN … COMMIT on one connection; any throw rolls back, so nothing is written half-way. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true; // the connection itself is gone: do not hand it out again
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** Anything that runs a query: the pool or one client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;
