// Memory end to end: facts told through the brain (over NATS) are written by session-write and recalled later,
// top-1 among hundreds of the user's unrelated turns and a thousand turns of other users, never across users.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countConversations,
  type Database,
  ensureSession,
  insertConversation,
  inTransaction,
  openDatabase,
} from '../../lib/db/index.js';
import { embeddingSpecFromConfig, loadEmbedder } from '../../lib/engines/embedding/index.js';
import { MEMORY_RESPONDER_MODEL, NO_LLM_NOTE } from '../../lib/engines/llm/index.js';
import type { BrainChunk } from '../../lib/protocol/index.js';
import { otherUserFacts, unrelatedUtterances } from './helpers/corpus.js';
import { testDatabase } from './helpers/db.js';
import { type BrainStack, startBrainStack } from './helpers/stack.js';

const USER = `alice-${randomUUID().slice(0, 6)}`;
const FACTS = {
  name: 'My name is Alice Moreau.',
  home: 'I live in Lisbon, close to the river.',
  sister: 'My sister Clara works as a marine biologist.',
};
let host: Awaited<ReturnType<typeof testDatabase>>;
let stack: BrainStack;
let db: Database;

async function ask(sessionId: string, text: string, userId = USER) {
  const chunks: BrainChunk[] = [];
  for await (const c of stack.client.stream('brain', { requestId: randomUUID(), sessionId, userId, text }))
    chunks.push(c);
  const context = chunks.find((c) => c.type === 'context');
  const final = chunks.find((c) => c.type === 'final');
  const deltas = chunks.filter((c) => c.type === 'delta').map((c) => c.text);
  if (context?.type !== 'context' || final?.type !== 'final') throw new Error('stream missing context or final');
  return { chunks, memories: context.memories, final, deltas };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  host = await testDatabase();
  stack = await startBrainStack({ databaseUrl: host.url, sessionWrite: true, brain: true });
  db = await openDatabase({ config: stack.config, log: stack.log, spec: embeddingSpecFromConfig(stack.config) });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await db?.close();
  await host?.dispose();
});

describe('the brain remembers what a user said, and only for that user', () => {
  it('session 1: three facts told through the brain are acknowledged and persisted', async () => {
    const session = `s1-${randomUUID().slice(0, 8)}`;
    for (const fact of Object.values(FACTS)) {
      const r = await ask(session, fact);
      expect(r.chunks[0]?.type).toBe('context');
      expect(r.chunks.at(-1)?.type).toBe('final');
      expect(r.final.model).toBe(MEMORY_RESPONDER_MODEL);
      expect(r.final.response).toBe(r.deltas.join(''));
      expect(r.final.response).toContain(NO_LLM_NOTE);
    }
    // Persisted off the hot path: 3 user turns + 3 replies arrive shortly after.
    await waitFor(async () => (await countConversations(db.pool, USER)) === 6);
  });

  it('seeds ≥ 200 unrelated turns of the same user and ≥ 1000 turns of other users (real embeddings)', async () => {
    const embedder = await loadEmbedder(stack.config, stack.log);
    const mine = unrelatedUtterances(220);
    const others: { userId: string; text: string }[] = [];
    const pool = unrelatedUtterances(240);
    for (let u = 0; u < 50; u++) {
      const userId = `other-${u}`;
      for (const text of otherUserFacts(u)) others.push({ userId, text });
      for (let j = 0; j < 18; j++) others.push({ userId, text: pool[(u * 5 + j) % pool.length] as string });
    }
    const rows = [...mine.map((text) => ({ userId: USER, text })), ...others];
    const vectors = await embedder.embed(rows.map((r) => r.text));
    await inTransaction(db.pool, async (client) => {
      for (const [i, r] of rows.entries()) {
        const sessionId = `seed-${r.userId}`;
        await ensureSession(client, { id: sessionId, userId: r.userId, time: '2026-01-01T00:00:00Z' });
        await insertConversation(client, {
          id: `seed-${i}`,
          userId: r.userId,
          sessionId,
          role: 'user',
          text: r.text,
          interrupted: false,
          embedding: vectors[i] as Float32Array,
          createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        });
      }
    });
    expect(await countConversations(db.pool, USER)).toBeGreaterThanOrEqual(206);
    expect((await countConversations(db.pool)) - (await countConversations(db.pool, USER))).toBeGreaterThanOrEqual(
      1000,
    );
  }, 60_000);

  it.each([
    ['What is my name?', 'name', /Alice Moreau/],
    ['Where do I live?', 'home', /Lisbon/],
    ['What does my sister do for a living?', 'sister', /marine biologist/],
  ] as const)('a new session: "%s" recalls the right fact as top-1', async (question, fact, answer) => {
    const r = await ask(`s2-${randomUUID().slice(0, 8)}`, question);
    const top = r.memories[0];
    expect(top?.text).toBe(FACTS[fact]);
    expect(top?.source).toBe('semantic');
    expect(top?.similarity).toBeGreaterThan(r.memories[1]?.similarity ?? 0);
    expect(r.final.response, JSON.stringify(r.memories.map((m) => [m.text, m.similarity]))).toMatch(answer);
    expect(r.final.contextIds).toEqual(r.memories.map((m) => m.id));
    // Never another user's memory: every id returned belongs to this user.
    const owners = await db.pool.query('SELECT DISTINCT user_id FROM agents.conversations WHERE id = ANY($1)', [
      r.memories.map((m) => m.id),
    ]);
    expect(owners.rows.map((o) => o.user_id)).toEqual([USER]);
    expect(r.final.timings.firstDeltaMs).toBeGreaterThan(0);
  });

  it('another user asking the same question gets their own name, not Alice', async () => {
    const r = await ask(`s3-${randomUUID().slice(0, 8)}`, 'What is my name?', 'other-3');
    expect(r.memories[0]?.text).toBe('My name is Priya Nair.');
    expect(r.final.response).toMatch(/Priya Nair/);
    expect(r.final.response).not.toMatch(/Alice/);
  });

  it('an unknown user gets no memories and a plain "not told yet"', async () => {
    const r = await ask(`s4-${randomUUID().slice(0, 8)}`, 'What is my name?', `nobody-${randomUUID()}`);
    expect(r.memories).toEqual([]);
    expect(r.final.response).toMatch(/not told me your name/);
  });
});
