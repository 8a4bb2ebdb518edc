// Fresh embedded databases for tests: a PGlite data dir copied from a template made once (initdb takes ~5 s).
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '../../../lib/db/index.js';
import { testLogger } from '../../helpers/env.js';

const TEMPLATE = join(tmpdir(), 'arc-pglite-template-0.5.14-pgvector-0.0.15');

/** A new, empty data dir holding an initialised PGlite cluster with the vector extension available. */
export async function freshDataDir(): Promise<string> {
  if (!existsSync(join(TEMPLATE, 'pglite', 'PG_VERSION'))) {
    // Built aside and renamed into place, so parallel test files never see half a template.
    const building = mkdtempSync(join(tmpdir(), 'arc-pglite-building-'));
    const db = await startEmbeddedDatabase({ dataDir: building, log: testLogger('template') });
    await db.close();
    try {
      renameSync(building, TEMPLATE);
    } catch {
      rmSync(building, { recursive: true, force: true }); // another worker won the race
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'arc-db-test-'));
  cpSync(join(TEMPLATE, 'pglite'), join(dir, 'pglite'), { recursive: true });
  return dir;
}

/** Starts an embedded database on a fresh data dir; `dispose` closes it and deletes the files. */
export async function testDatabase(): Promise<EmbeddedDatabase & { dispose(): Promise<void> }> {
  const dataDir = await freshDataDir();
  const db = await startEmbeddedDatabase({ dataDir, log: testLogger('pglite') });
  return {
    ...db,
    async dispose() {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
