// embed over NATS with the embedded default encoder (USE-lite, real weights): unit vectors, order, meaning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosine } from '../../lib/engines/embedding/index.js';
import { testDatabase } from './helpers/db.js';
import { type BrainStack, startBrainStack } from './helpers/stack.js';

let host: Awaited<ReturnType<typeof testDatabase>>;
let stack: BrainStack;

beforeAll(async () => {
  host = await testDatabase();
  stack = await startBrainStack({ databaseUrl: host.url });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await host?.dispose();
});

describe('embed.request', () => {
  it('returns one unit vector of the model dimension per text, in order', async () => {
    const texts = ['My name is Alice.', 'What is my name?', 'The weather is nice today.'];
    const r = await stack.client.call('embed', { texts });
    expect(r).toMatchObject({ model: 'use-lite-512', dim: 512 });
    expect(r.vectors).toHaveLength(3);
    for (const v of r.vectors) {
      expect(v).toHaveLength(512);
      expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    }
    const single = await stack.client.call('embed', { texts: [texts[2] as string] });
    expect(cosine(single.vectors[0] as number[], r.vectors[2] as number[])).toBeGreaterThan(0.9999);
  });

  it('is a neural encoder: a question is closer to the fact that answers it than to an unrelated sentence', async () => {
    const r = await stack.client.call('embed', {
      texts: ['Where do I live?', 'I live in Lisbon, close to the river.', 'Set a timer for ten minutes please.'],
    });
    const [q, fact, other] = r.vectors as [number[], number[], number[]];
    expect(cosine(q, fact)).toBeGreaterThan(cosine(q, other) + 0.1);
  });

  it('embeds a full batch of 64 texts within the NATS payload limit', async () => {
    const texts = Array.from(
      { length: 64 },
      (_, i) => `Sentence number ${i} says something a little different each time.`,
    );
    const r = await stack.client.call('embed', { texts });
    expect(r.vectors).toHaveLength(64);
    expect(new Set(r.vectors.map((v) => v.slice(0, 4).join())).size).toBe(64);
  });

  it('refuses 65 texts and an empty list with invalid_request', async () => {
    await expect(stack.client.call('embed', { texts: Array.from({ length: 65 }, () => 'x') })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(stack.client.call('embed', { texts: [] })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
