// Bad and awkward input to embed, session-write and the brain: typed errors or correct handling, nothing half-written.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countConversations, type Database, openDatabase } from '../../lib/db/index.js';
import { embeddingSpecFromConfig } from '../../lib/engines/embedding/index.js';
import type { BrainChunk, SessionEvent } from '../../lib/protocol/index.js';
import { testDatabase } from './helpers/db.js';
import { type BrainStack, startBrainStack } from './helpers/stack.js';

let host: Awaited<ReturnType<typeof testDatabase>>;
let stack: BrainStack;
let db: Database;

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

async function askBrain(userId: string, text: string, sessionId = `s-${randomUUID().slice(0, 8)}`) {
  const chunks: BrainChunk[] = [];
  for await (const c of stack.client.stream('brain', { requestId: randomUUID(), sessionId, userId, text }))
    chunks.push(c);
  return chunks;
}

async function waitForCount(userId: string, n: number) {
  const until = Date.now() + 10_000;
  while ((await countConversations(db.pool, userId)) < n && Date.now() < until)
    await new Promise((r) => setTimeout(r, 50));
  return countConversations(db.pool, userId);
}

const turn = (over: Partial<Extract<SessionEvent, { kind: 'turn' }>> = {}): SessionEvent => ({
  kind: 'turn',
  eventId: randomUUID(),
  sessionId: `s-${randomUUID().slice(0, 8)}`,
  userId: 'u-bad',
  role: 'user',
  text: 'hello',
  createdAt: new Date().toISOString(),
  ...over,
});

describe('empty and oversized text', () => {
  it.each(['', '   \n\t '])('brain refuses empty text %j with invalid_request', async (text) => {
    await expect(askBrain('u-bad', text)).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/text/),
    });
  });

  it('100 KB of text: refused by brain, session-write and embed with the limit named; nothing stored', async () => {
    const big = 'lorem ipsum '.repeat(8_534).slice(0, 102_400);
    await expect(askBrain('u-big', big)).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/8000/),
    });
    await expect(stack.client.call('session-write', turn({ userId: 'u-big', text: big }))).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/16000/),
    });
    await expect(stack.client.call('embed', { texts: [big] })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await countConversations(db.pool, 'u-big')).toBe(0);
  });

  it('empty texts in embed are embedded (zero-information input is still a valid vector)', async () => {
    const r = await stack.client.call('embed', { texts: ['', 'hello'] });
    expect(r.vectors).toHaveLength(2);
    expect(r.vectors[0]).toHaveLength(r.dim);
  });
});

describe('identities and text that could break SQL or encodings', () => {
  it('SQL metacharacters in user id and text are stored and recalled verbatim; the tables survive', async () => {
    const userId = "robert'); DROP TABLE agents.conversations; --";
    const text = 'My name is O\'Brien \\ "quoted" %_ $1 ; DELETE FROM agents.sessions;';
    await askBrain(userId, text);
    expect(await waitForCount(userId, 2)).toBe(2);
    const chunks = await askBrain(userId, 'What is my name?');
    const context = chunks.find((c) => c.type === 'context');
    expect(context?.type === 'context' && context.memories.map((m) => m.text)).toContain(text);
    const final = chunks.at(-1);
    expect(final?.type === 'final' && final.response).toMatch(/Your name is O'Brien/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM agents.sessions')).rows[0].n).toBeGreaterThan(0);
  });

  it('emoji and right-to-left text round-trip exactly, and are embedded', async () => {
    const userId = 'משתמש-😀';
    const text = 'שלום! קוראים לי דנה 😀 and I love falafel 🧆';
    await askBrain(userId, text);
    expect(await waitForCount(userId, 2)).toBe(2);
    const stored = await db.pool.query("SELECT text FROM agents.conversations WHERE user_id = $1 AND role = 'user'", [
      userId,
    ]);
    expect(stored.rows[0].text).toBe(text);
    const chunks = await askBrain(userId, 'Do I love falafel?');
    const context = chunks.find((c) => c.type === 'context');
    expect(context?.type === 'context' && context.memories[0]?.text).toBe(text);
  });

  it('a user id with control characters is refused', async () => {
    await expect(askBrain('bad\u0000user', 'hi')).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/userId/),
    });
  });

  it('a NUL character in a turn is refused before it is queued', async () => {
    const e = turn({ userId: 'u-nul', text: 'nul \u0000 here' });
    await expect(stack.client.call('session-write', e)).rejects.toMatchObject({ code: 'invalid_request' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await countConversations(db.pool, 'u-nul')).toBe(0);
  });
});

describe('embeddings that do not fit the store', () => {
  it('wrong dimension → dimension_mismatch, and nothing is written', async () => {
    const e = turn({
      userId: 'u-dim',
      embedding: { model: db.spec.model, vector: Array.from({ length: 384 }, () => 0.05) },
    });
    await expect(stack.client.call('session-write', e)).rejects.toMatchObject({
      code: 'dimension_mismatch',
      message: expect.stringMatching(/384-d.*512-d/),
    });
    const other = turn({
      userId: 'u-dim',
      embedding: { model: 'onnx:all-MiniLM-L6-v2', vector: Array.from({ length: 512 }, () => 0.05) },
    });
    await expect(stack.client.call('session-write', other)).rejects.toMatchObject({ code: 'dimension_mismatch' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await countConversations(db.pool, 'u-dim')).toBe(0);
    expect(
      (await db.pool.query("SELECT count(*)::int AS n FROM agents.sessions WHERE user_id = 'u-dim'")).rows[0].n,
    ).toBe(0);
  });

  it('a session that belongs to another user is not written into', async () => {
    const sessionId = `s-${randomUUID().slice(0, 8)}`;
    await askBrain('owner', 'I own this session.', sessionId);
    expect(await waitForCount('owner', 2)).toBe(2);
    const r = await stack.client.call('session-write', turn({ sessionId, userId: 'intruder', text: 'sneaky' }));
    expect(r.status).toBe('queued'); // accepted durably, then refused by the writer (forbidden) and dropped
    await new Promise((r) => setTimeout(r, 500));
    expect(await countConversations(db.pool, 'intruder')).toBe(0);
  });
});
