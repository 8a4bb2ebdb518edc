// The embedded database is single-process: a second opener of the same data dir gets a clear error naming the URL;
// openDatabase in another process joins through that URL instead.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDatabase, openDatabase, startEmbeddedDatabase } from '../../lib/db/index.js';
import { testConfig, testLogger } from '../helpers/env.js';
import { freshDataDir } from './helpers/db.js';

const log = testLogger('lock');
let dataDir: string;
let host: EmbeddedDatabase;

beforeAll(async () => {
  dataDir = await freshDataDir();
  host = await startEmbeddedDatabase({ dataDir, log });
});
afterAll(async () => {
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded database lock', () => {
  it('another process hosting the same data dir is refused with the holder pid and the URL to use', async () => {
    const script = fileURLToPath(new URL('./helpers/open-data-dir.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, dataDir], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    const r = JSON.parse(out);
    expect(r).toMatchObject({ ok: false, code: 'unavailable' });
    expect(r.message).toContain(`already open in process ${process.pid}`);
    expect(r.message).toContain(`set DATABASE_URL=${host.url}`);
  }, 30_000);

  it('the same process hosting it twice is refused too', async () => {
    await expect(startEmbeddedDatabase({ dataDir, log })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('a lock left by a dead process is taken over', async () => {
    const dir = await freshDataDir();
    writeFileSync(join(dir, 'arc-db.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: 'x' }));
    const db = await startEmbeddedDatabase({ dataDir: dir, log });
    expect(db.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('openDatabase without DATABASE_URL in a process that is not the host joins the published URL', async () => {
    // Simulate "another process": a lock naming a live pid that is not ours (our parent) and the host's URL.
    const dir = await freshDataDir();
    writeFileSync(join(dir, 'arc-db.lock'), JSON.stringify({ pid: process.ppid, url: host.url, startedAt: 'x' }));
    const config = testConfig({ DATA_DIR: dir });
    const db = await openDatabase({ config, log, spec: { model: 'lock-test', dim: 4 } });
    expect(db.url).toBe(host.url);
    expect(db.embedded).toBeUndefined();
    expect(await db.ping()).toBe(true);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
