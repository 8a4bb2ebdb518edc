// Switching embedding models: refused until `re-embed`, which converts every row atomically and makes search work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countConversations,
  createPool,
  ensureSession,
  insertConversation,
  migrate,
  openDatabase,
  readStoreSpec,
  searchConversations,
} from '../../lib/db/index.js';
import { reEmbedStore } from '../../lib/db/re-embed.js';
import { embeddingSpecFromConfig, loadEmbedder } from '../../lib/engines/embedding/index.js';
import { testConfig, testLogger } from '../helpers/env.js';
import { testDatabase } from './helpers/db.js';

const log = testLogger('re-embed');
const LEGACY = { model: 'legacy-hash-8', dim: 8 };
const TEXTS = ['My name is Alice.', 'I live in Lisbon.', 'Set a timer for ten minutes.', 'My sister is a biologist.'];
let host: Awaited<ReturnType<typeof testDatabase>>;

beforeAll(async () => {
  host = await testDatabase();
  const pool = createPool({ url: host.url, max: 2, statementTimeoutMs: 5_000, log });
  await migrate(pool, LEGACY, log);
  await ensureSession(pool, { id: 's1', userId: 'u1', time: '2026-01-01T00:00:00Z' });
  for (const [i, text] of TEXTS.entries()) {
    const v = Array.from({ length: 8 }, (_, j) => (j === i ? 1 : 0.01));
    await insertConversation(pool, {
      id: `c${i}`,
      userId: 'u1',
      sessionId: 's1',
      role: 'user',
      text,
      interrupted: false,
      embedding: v,
      createdAt: '2026-01-01T00:00:00Z',
    });
  }
  await pool.end();
});
afterAll(async () => {
  await host?.dispose();
});

describe('re-embed', () => {
  it('moves an 8-d store to USE-lite 512-d: same rows, new dimension, index rebuilt, search meaningful', async () => {
    const config = testConfig({ DATABASE_URL: host.url });
    const spec = embeddingSpecFromConfig(config);
    await expect(openDatabase({ config, log, spec })).rejects.toMatchObject({ code: 'dimension_mismatch' });

    const db = await openDatabase({ config, log, spec, migrate: false });
    const embedder = await loadEmbedder(config, log);
    try {
      // A failing embedder half-way leaves everything as it was.
      let calls = 0;
      await expect(
        reEmbedStore(
          db.pool,
          spec,
          async (t) => {
            if (++calls > 1) throw new Error('embedder crashed');
            return embedder.embed(t);
          },
          log,
          { batchSize: 2 },
        ),
      ).rejects.toThrow('embedder crashed');
      expect(await readStoreSpec(db.pool)).toEqual(LEGACY);

      const r = await reEmbedStore(db.pool, spec, (t) => embedder.embed(t), log, { batchSize: 3 });
      expect(r).toMatchObject({ changed: true, rows: 4, from: LEGACY, to: spec });
      expect(await readStoreSpec(db.pool)).toEqual(spec);
      expect(await countConversations(db.pool)).toBe(4);
      const col = await db.pool.query(
        "SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'agents.conversations'::regclass AND attname = 'embedding'",
      );
      expect(col.rows[0].t).toBe('vector(512)');
      const [q] = await embedder.embed(['Where do I live?']);
      const hits = await searchConversations(db.pool, 'u1', q as Float32Array, { k: 1 });
      expect(hits[0]?.text).toBe('I live in Lisbon.');
      await db.ensureSchema(); // the store now matches the configuration
      expect((await reEmbedStore(db.pool, spec, (t) => embedder.embed(t), log)).changed).toBe(false);
    } finally {
      await embedder.close();
      await db.close();
    }
  }, 30_000);
});
