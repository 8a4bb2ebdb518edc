import { describe, expect, it } from 'vitest';
import { CachedEmbedder, cosine, Embedder, normalize } from './embedder.js';

/** A deterministic embedder that counts model calls: the cache's behaviour is what is under test. */
class CountingEmbedder extends Embedder {
  readonly model = 'counting';
  readonly dim = 3;
  readonly label = 'counting test embedder';
  protected override readonly batchSize = 2;
  calls: string[][] = [];
  protected async run(texts: readonly string[]) {
    this.calls.push([...texts]);
    return texts.map((t) => [t.length, 1, 0]);
  }
}

describe('Embedder base and cache', () => {
  it('normalises to unit length and batches by batchSize', async () => {
    const inner = new CountingEmbedder();
    const v = await inner.embed(['a', 'bbb', 'cc']);
    expect(inner.calls).toEqual([['a', 'bbb'], ['cc']]);
    for (const x of v) expect(Math.hypot(...x)).toBeCloseTo(1, 6);
    expect(Array.from(normalize([0, 0]))).toEqual([0, 0]);
    expect(cosine([1, 0], [0, 1])).toBe(0);
  });

  it('caches by text, sends only misses, evicts the least recently used', async () => {
    const inner = new CountingEmbedder();
    const cached = new CachedEmbedder(inner, 2);
    await cached.embed(['a', 'b']);
    await cached.embed(['a', 'c']); // a hit (now most recent), c miss → b evicted
    await cached.embed(['b', 'a']);
    expect(inner.calls).toEqual([['a', 'b'], ['c'], ['b']]);
    expect(cached.hits).toBe(2);
    expect(cached.misses).toBe(4);
  });

  it('aborting stops between batches', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(new CountingEmbedder().embed(['a'], ac.signal)).rejects.toMatchObject({ code: 'cancelled' });
  });
});
