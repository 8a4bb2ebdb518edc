// Opens the database for a process: DATABASE_URL if set, else the embedded PGlite (hosted here or joined).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { ArcError } from '../protocol/index.js';
import { type EmbeddedDatabase, LOCK_FILE, startEmbeddedDatabase } from './embedded.js';
import { toDbError, withDbRetry } from './errors.js';
import { type EmbeddingSpec, migrate } from './migrations.js';
import { createPool } from './pool.js';
import { assertStoreSpec } from './store-meta.js';

export interface Database {
  pool: pg.Pool;
  /** Where the pool connects; hand it to other processes as DATABASE_URL. */
  url: string;
  /** Set when this process hosts the embedded database. */
  embedded?: EmbeddedDatabase;
  /** The embedding model the store must hold. */
  spec: EmbeddingSpec;
  /**
   * Runs migrations and checks the store's embedding model, once; a failure (database down) is not
   * remembered, so the next call tries again. Throws EmbeddingModelMismatchError on a model switch.
   */
  ensureSchema(): Promise<void>;
  /** True when a trivial query answers within the statement timeout. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  config: Config;
  log: Logger;
  spec: EmbeddingSpec;
  /** Run migrations now (default true). False: connect lazily, e.g. to start while the database is down. */
  migrate?: boolean;
}

/**
 * The one entry point to storage. With DATABASE_URL: a pool to that server. Without: this process hosts the
 * embedded PGlite under `config.dataDir` and serves it on `DB_EMBEDDED_PORT`, unless another live process
 * already hosts that data dir, in which case this one connects to the URL it published in the lock file.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { config, log, spec } = options;
  let url = config.databaseUrl;
  let embedded: EmbeddedDatabase | undefined;
  if (!url) {
    const hosted = hostedUrl(config.dataDir);
    if (hosted) {
      url = hosted;
      log.info({ url, dataDir: config.dataDir }, 'joining the embedded database another process hosts');
    } else {
      try {
        embedded = await startEmbeddedDatabase({ dataDir: config.dataDir, port: config.db.embeddedPort, log });
      } catch (err) {
        // Lost a start-up race to a sibling process: join it instead.
        const raced = hostedUrl(config.dataDir);
        if (!raced) throw err;
        log.info({ url: raced }, 'joining the embedded database another process just started');
      }
      url = embedded?.url ?? hostedUrl(config.dataDir);
    }
  }
  if (!url) throw new ArcError('unavailable', 'no database: DATABASE_URL unset and the embedded one did not start');
  const pool = createPool({ url, max: config.db.poolMax, statementTimeoutMs: config.db.statementTimeoutMs, log });
  let schema: Promise<void> | undefined;
  const db: Database = {
    pool,
    url,
    embedded,
    spec,
    ensureSchema() {
      schema ??= withDbRetry(
        'migrations',
        async () => {
          await migrate(pool, spec, log);
          await assertStoreSpec(pool, spec);
        },
        { log },
      ).catch((err) => {
        schema = undefined;
        throw err;
      });
      return schema;
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await pool.end().catch((err) => log.warn({ err: toDbError(err, 'close').message }, 'closing the pool failed'));
      await embedded?.close();
    },
  };
  if (options.migrate !== false) {
    try {
      await db.ensureSchema();
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}

/** The URL a live process published for this data dir, if any. */
function hostedUrl(dataDir: string): string | undefined {
  try {
    const lock = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number; url?: string };
    if (!lock.url || lock.pid === process.pid) return undefined;
    process.kill(lock.pid, 0);
    return lock.url;
  } catch {
    return undefined;
  }
}

export { type EmbeddedDatabase, startEmbeddedDatabase } from './embedded.js';
export { isTransientDbError, toDbError, withDbRetry } from './errors.js';
export { type EmbeddingSpec, HNSW_INDEX_SQL, MIGRATIONS, migrate } from './migrations.js';
export { createPool, inTransaction, type Queryable } from './pool.js';
export * from './repos/conversations.js';
export * from './repos/recordings.js';
export * from './repos/sessions.js';
export { assertStoreSpec, assertVectorFits, EmbeddingModelMismatchError, readStoreSpec } from './store-meta.js';
