// Hosts the embedded database: PGlite + pgvector on a data dir, served over the Postgres wire protocol on a port.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../log.js';
import { ArcError } from '../protocol/index.js';
import { type PgliteServer, servePglite } from './pglite-server.js';

export interface EmbeddedDatabaseOptions {
  /** Folder that holds the database files (`<dataDir>/pglite`) and the lock file. */
  dataDir: string;
  /** TCP port of the socket server; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Concurrent client connections the socket server accepts (PGlite runs one query at a time behind them). */
  maxConnections?: number;
  log: Logger;
}

/** A running embedded database; other processes reach it through `url` (set it as their DATABASE_URL). */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  dataDir: string;
  /** Stops serving and closes PGlite (data stays on disk); releases the lock. */
  close(): Promise<void>;
}

interface LockInfo {
  pid: number;
  url?: string;
  startedAt: string;
}

export const LOCK_FILE = 'arc-db.lock';

/**
 * Opens (or creates) the embedded database and serves it on a port. PGlite is single-process: a second
 * process opening the same data dir gets `unavailable` naming the holder and the URL to use instead.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const { dataDir, log } = options;
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, LOCK_FILE);
  takeLock(lockPath);
  let db: PGlite | undefined;
  let server: PgliteServer | undefined;
  try {
    const t0 = performance.now();
    // Loaded here, not at module top: processes given a DATABASE_URL never pay for the WASM build.
    const [{ PGlite }, { vector }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite-pgvector'),
    ]);
    db = await PGlite.create({ dataDir: join(dataDir, 'pglite'), extensions: { vector } });
    await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
    server = await servePglite(db, {
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      maxConnections: options.maxConnections ?? 64,
      log,
    });
    const port = server.port;
    const url = `postgresql://postgres@${options.host ?? '127.0.0.1'}:${port}/postgres`;
    writeLock(lockPath, { pid: process.pid, url, startedAt: new Date().toISOString() });
    log.info(
      { dataDir, url, openMs: Math.round(performance.now() - t0) },
      'embedded database (PGlite + pgvector) serving; other processes connect with this DATABASE_URL',
    );
    const release = () => rmSync(lockPath, { force: true });
    process.once('exit', release);
    let closed = false;
    const openDb = db;
    const openServer = server;
    return {
      url,
      port,
      dataDir,
      async close() {
        if (closed) return;
        closed = true;
        await openServer.stop();
        await openDb.close();
        release();
        process.off('exit', release);
        log.info({ dataDir }, 'embedded database closed');
      },
    };
  } catch (err) {
    await server?.stop().catch(() => {});
    await db?.close().catch(() => {});
    rmSync(lockPath, { force: true });
    throw err;
  }
}

/** Creates the lock file atomically; a lock left by a dead process is taken over, a live one is refused. */
function takeLock(lockPath: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }), {
        flag: 'wx',
      });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(lockPath);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new ArcError(
          'unavailable',
          `the embedded database in ${lockPath.slice(0, -LOCK_FILE.length - 1)} is already open in process ${holder.pid}` +
            (holder.url ? ` (serving ${holder.url}); set DATABASE_URL=${holder.url} in this process instead` : '') +
            '. PGlite allows one process per data dir.',
          { details: { holderPid: holder.pid, url: holder.url } },
        );
      }
      if (holder && holder.pid === process.pid) {
        throw new ArcError('unavailable', `this process already hosts the embedded database in ${lockPath}`);
      }
      rmSync(lockPath, { force: true }); // stale: its process is gone
    }
  }
  throw new ArcError('unavailable', `could not take the database lock ${lockPath}`);
}

function readLock(lockPath: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(lockPath, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function writeLock(lockPath: string, info: LockInfo): void {
  writeFileSync(lockPath, JSON.stringify(info));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
