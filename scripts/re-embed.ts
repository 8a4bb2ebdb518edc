// `npm run re-embed`: after switching EMBEDDING_MODEL, re-embed every stored turn with the new model (atomic).
//
// Stop the functions that write to the store first (session-write, brain): the table is rewritten in one
// transaction. With no DATABASE_URL it opens the embedded database under DATA_DIR (which must not be in use).
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../lib/config/index.js';
import { openDatabase } from '../lib/db/index.js';
import { reEmbedStore } from '../lib/db/re-embed.js';
import { embeddingSpecFromConfig, loadEmbedder } from '../lib/engines/embedding/index.js';
import { createLogger } from '../lib/log.js';

const { values: args } = parseArgs({ options: { force: { type: 'boolean', default: false } } });
const config = loadConfigOrExit();
const log = createLogger('re-embed', config.logLevel);
const spec = embeddingSpecFromConfig(config);
const db = await openDatabase({ config, log, spec, migrate: false });
try {
  const embedder = await loadEmbedder(config, log);
  const t0 = performance.now();
  const r = await reEmbedStore(db.pool, spec, (texts) => embedder.embed(texts), log, { force: args.force });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(
    r.changed
      ? `re-embedded ${r.rows} turns: ${r.from?.model} (${r.from?.dim}-d) → ${r.to.model} (${r.to.dim}-d) in ${s} s\n`
      : `nothing to do: the store already holds ${spec.model} (${spec.dim}-d) embeddings\n`,
  );
  await embedder.close();
} catch (err) {
  process.stderr.write(`re-embed failed, the store is unchanged: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}
