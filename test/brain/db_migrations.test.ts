// The agents schema on PGlite + pgvector through pg: migrations are idempotent, the store refuses a model switch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  EmbeddingModelMismatchError,
  MIGRATIONS,
  migrate,
  openDatabase,
  readStoreSpec,
} from '../../lib/db/index.js';
import { testConfig, testLogger } from '../helpers/env.js';
import { testDatabase } from './helpers/db.js';

const log = testLogger('db');
let host: Awaited<ReturnType<typeof testDatabase>>;

beforeAll(async () => {
  host = await testDatabase();
});
afterAll(async () => {
  await host?.dispose();
});

describe('migrations', () => {
  it('apply once, then running them again (twice) applies nothing and fails nothing', async () => {
    const pool = createPool({ url: host.url, max: 2, statementTimeoutMs: 5_000, log });
    try {
      const spec = { model: 'test-model', dim: 8 };
      const first = await migrate(pool, spec, log);
      expect(first).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await migrate(pool, spec, log)).toEqual([]);
      expect(await migrate(pool, spec, log)).toEqual([]);
      const tables = await pool.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'agents' ORDER BY table_name",
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'conversations',
        'recordings',
        'schema_migrations',
        'sessions',
        'store_meta',
      ]);
      const idx = await pool.query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'agents' AND tablename = 'conversations'",
      );
      const hnsw = idx.rows.find((r) => r.indexname === 'conversations_embedding_hnsw_idx');
      expect(hnsw?.indexdef).toMatch(
        /USING hnsw \(embedding vector_cosine_ops\) WITH \(m='?16'?, ef_construction='?64'?\)/,
      );
      expect(idx.rows.map((r) => r.indexname)).toEqual(
        expect.arrayContaining(['conversations_user_id_idx', 'conversations_created_at_idx']),
      );
      const col = await pool.query(
        "SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'agents.conversations'::regclass AND attname = 'embedding'",
      );
      expect(col.rows[0].t).toBe('vector(8)');
      expect(await readStoreSpec(pool)).toEqual(spec);
    } finally {
      await pool.end();
    }
  });

  it('two processes migrating at once do not race (advisory lock)', async () => {
    const pools = [0, 1, 2].map(() => createPool({ url: host.url, max: 2, statementTimeoutMs: 5_000, log }));
    try {
      const results = await Promise.all(pools.map((p) => migrate(p, { model: 'test-model', dim: 8 }, log)));
      expect(results.flat()).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('opening with another embedding model is refused with the re-embed hint, and changes nothing', async () => {
    const config = testConfig({ DATABASE_URL: host.url });
    const err = await openDatabase({ config, log, spec: { model: 'other-model', dim: 16 } }).catch((e) => e);
    expect(err).toBeInstanceOf(EmbeddingModelMismatchError);
    expect(err.code).toBe('dimension_mismatch');
    expect(err.message).toMatch(/test-model embeddings \(8-d\).*other-model \(16-d\).*npm run re-embed/);
    const db = await openDatabase({ config, log, spec: { model: 'test-model', dim: 8 } });
    expect(await readStoreSpec(db.pool)).toEqual({ model: 'test-model', dim: 8 });
    await db.close();
  });
});
