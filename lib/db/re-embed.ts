// Moves the store to another embedding model: every stored turn re-embedded, D changed, index rebuilt — atomically.

import type pg from 'pg';
import pgvector from 'pgvector';
import type { Logger } from '../log.js';
import { type EmbeddingSpec, HNSW_INDEX_SQL, migrate } from './migrations.js';
import { inTransaction } from './pool.js';
import { readStoreSpec } from './store-meta.js';

export interface ReEmbedResult {
  from?: EmbeddingSpec;
  to: EmbeddingSpec;
  rows: number;
  /** False when the store already held `to` (nothing done). */
  changed: boolean;
}

/**
 * Re-embeds every row of agents.conversations with `embed` and records `to` as the store's model, in ONE
 * transaction: a failure half-way leaves the store exactly as it was. Stop the functions that write first.
 */
export async function reEmbedStore(
  pool: pg.Pool,
  to: EmbeddingSpec,
  embed: (texts: string[]) => Promise<ArrayLike<number>[]>,
  log: Logger,
  options: { batchSize?: number; force?: boolean } = {},
): Promise<ReEmbedResult> {
  const from = await readStoreSpec(pool).catch(() => undefined);
  // Make sure every table exists, built with the model the store already has (or the target on a new store).
  await migrate(pool, from ?? to, log);
  if (!from || (from.model === to.model && from.dim === to.dim && !options.force)) {
    return { from, to, rows: 0, changed: false };
  }
  const batchSize = options.batchSize ?? 64;
  const dim = Math.trunc(to.dim);
  const rows = await inTransaction(pool, async (client) => {
    await client.query('DROP INDEX IF EXISTS agents.conversations_embedding_hnsw_idx');
    await client.query('ALTER TABLE agents.conversations ALTER COLUMN embedding DROP NOT NULL');
    await client.query(`ALTER TABLE agents.conversations ALTER COLUMN embedding TYPE vector(${dim}) USING NULL`);
    let done = 0;
    let after = '';
    for (;;) {
      const page = await client.query('SELECT id, text FROM agents.conversations WHERE id > $1 ORDER BY id LIMIT $2', [
        after,
        batchSize,
      ]);
      if (page.rows.length === 0) break;
      const vectors = await embed(page.rows.map((r) => r.text as string));
      for (const [i, r] of page.rows.entries()) {
        const v = vectors[i] as ArrayLike<number>;
        if (v.length !== dim) throw new Error(`embedder returned ${v.length}-d vectors, expected ${dim}`);
        await client.query('UPDATE agents.conversations SET embedding = $2 WHERE id = $1', [
          r.id,
          pgvector.toSql(Array.from(v)),
        ]);
      }
      done += page.rows.length;
      after = page.rows.at(-1)?.id as string;
      log.info({ done }, 're-embedding');
    }
    await client.query('ALTER TABLE agents.conversations ALTER COLUMN embedding SET NOT NULL');
    await client.query(HNSW_INDEX_SQL);
    await client.query(
      `INSERT INTO agents.store_meta (key, value) VALUES ('embedding_model', $1), ('embedding_dim', $2)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [to.model, String(dim)],
    );
    return done;
  });
  return { from, to, rows, changed: true };
}
