// The embedding adapter interface, plus what every model shares: batching, unit-length vectors, a small LRU cache.
import type { EmbeddingSpec } from '../../db/migrations.js';
import { CancelledError } from '../../protocol/index.js';

/** One sentence-embedding model. Implementations write only `run()`; the base class owns batching and normalising. */
export abstract class Embedder {
  /** Model id stored with the vectors (the store refuses vectors of another id). */
  abstract readonly model: string;
  abstract readonly dim: number;
  /** What people read in logs and docs, e.g. "Universal Sentence Encoder lite (TF.js, 512-d)". */
  abstract readonly label: string;
  /** Texts embedded in one model call at most. */
  protected readonly batchSize: number = 32;

  get spec(): EmbeddingSpec {
    return { model: this.model, dim: this.dim };
  }

  /** Unit-length vectors for `texts`, in order. Aborting stops between batches. */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      if (signal?.aborted) throw new CancelledError('embedding was cancelled');
      const batch = texts.slice(i, i + this.batchSize);
      const vectors = await this.run(batch);
      for (const v of vectors) out.push(normalize(v));
    }
    return out;
  }

  /** Raw model output for one batch (normalised by the caller). */
  protected abstract run(texts: readonly string[]): Promise<ArrayLike<number>[]>;

  async close(): Promise<void> {}
}

/** Scales to unit length (cosine similarity becomes a dot product); a zero vector stays zero. */
export function normalize(v: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) ** 2;
  const norm = Math.sqrt(sum);
  const out = new Float32Array(v.length);
  if (norm === 0) return out;
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) / norm;
  return out;
}

/** Cosine similarity of two vectors of the same length. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * Wraps an embedder with an LRU cache keyed by exact text: a voice agent embeds the same short utterances
 * ("yes", "what is my name?") again and again. Only the misses go to the model, in one call.
 */
export class CachedEmbedder extends Embedder {
  readonly model: string;
  readonly dim: number;
  readonly label: string;
  private readonly cache = new Map<string, Float32Array>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: Embedder,
    private readonly capacity = 1_000,
  ) {
    super();
    this.model = inner.model;
    this.dim = inner.dim;
    this.label = inner.label;
  }

  override async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const found = new Map<string, Float32Array>();
    for (const t of texts) {
      const v = this.cache.get(t);
      if (v === undefined) continue;
      found.set(t, v);
      // Re-insert: Map keeps insertion order, so the first key is always the least recently used.
      this.cache.delete(t);
      this.cache.set(t, v);
    }
    const missing = [...new Set(texts.filter((t) => !found.has(t)))];
    this.misses += missing.length;
    this.hits += texts.length - texts.filter((t) => !found.has(t)).length;
    if (missing.length > 0) {
      const vectors = await this.inner.embed(missing, signal);
      for (const [i, t] of missing.entries()) {
        const v = vectors[i] as Float32Array;
        found.set(t, v);
        this.remember(t, v);
      }
    }
    return texts.map((t) => found.get(t) as Float32Array);
  }

  protected run(): Promise<ArrayLike<number>[]> {
    throw new Error('unreachable: CachedEmbedder delegates embed()');
  }

  override close(): Promise<void> {
    return this.inner.close();
  }

  private remember(text: string, v: Float32Array): void {
    this.cache.set(text, v);
    while (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }
}
