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
        embedded = await hostHere(config, log);
        url = embedded.url;
      } catch (err) {
        // Lost a start-up race to a sibling process: join it instead.
        url = hostedUrl(config.dataDir);
        if (!url) throw err;
        log.info({ url }, 'joining the embedded database another process just started');
      }
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

/** Embedded hosts of this process by data dir, shared by every function running in it (chat CLI, benches). */
const localHosts = new Map<string, { db: Promise<EmbeddedDatabase>; refs: number }>();

/** Hosts the data dir in this process, or shares this process's existing host; close() releases one reference. */
async function hostHere(config: Config, log: Logger): Promise<EmbeddedDatabase> {
  const key = config.dataDir;
  let entry = localHosts.get(key);
  if (!entry) {
    entry = { db: startEmbeddedDatabase({ dataDir: key, port: config.db.embeddedPort, log }), refs: 0 };
    localHosts.set(key, entry);
    entry.db.catch(() => localHosts.delete(key));
  }
  entry.refs++;
  const host = await entry.db;
  const shared = entry;
  let released = false;
  return {
    ...host,
    async close() {
      if (released) return;
      released = true;
      if (--shared.refs === 0) {
        localHosts.delete(key);
        await host.close();
      }
    },
  };
}

/** The URL another live process published for this data dir, if any. */
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
