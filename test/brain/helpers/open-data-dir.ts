// Run as a separate process by db_embedded_lock.test.ts: tries to host a data dir and prints what happened.
import { startEmbeddedDatabase } from '../../../lib/db/index.js';
import { createLogger } from '../../../lib/log.js';

const dir = process.argv[2] as string;
try {
  const db = await startEmbeddedDatabase({ dataDir: dir, log: createLogger('child', 'silent') });
  await db.close();
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (err) {
  process.stdout.write(
    JSON.stringify({ ok: false, code: (err as { code?: string }).code, message: (err as Error).message }),
  );
}
