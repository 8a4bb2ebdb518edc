// Which embedding model the stored vectors belong to; refuses to mix models and says how to switch.
import { ArcError } from '../protocol/index.js';
import type { EmbeddingSpec } from './migrations.js';
import type { Queryable } from './pool.js';

/** The model and dimension the store was built with, or undefined before the first migration. */
export async function readStoreSpec(db: Queryable): Promise<EmbeddingSpec | undefined> {
  const res = await db.query(
    "SELECT key, value FROM agents.store_meta WHERE key IN ('embedding_model', 'embedding_dim')",
  );
  const meta = new Map(res.rows.map((r) => [r.key as string, r.value as string]));
  const model = meta.get('embedding_model');
  const dim = Number(meta.get('embedding_dim'));
  return model && dim > 0 ? { model, dim } : undefined;
}

/** Thrown when the configured embedder is not the one the store's vectors came from. */
export class EmbeddingModelMismatchError extends ArcError {
  constructor(
    readonly stored: EmbeddingSpec,
    readonly configured: EmbeddingSpec,
  ) {
    super(
      'dimension_mismatch',
      `the memory store holds ${stored.model} embeddings (${stored.dim}-d) but this process is configured for ` +
        `${configured.model} (${configured.dim}-d); vectors of different models are never mixed. ` +
        'Run `npm run re-embed` to re-embed every stored turn with the configured model, ' +
        'or set EMBEDDING_MODEL back to what the store was built with.',
      { details: { stored, configured } },
    );
    this.name = 'EmbeddingModelMismatchError';
  }
}

/** Throws EmbeddingModelMismatchError unless `spec` is the store's model. */
export async function assertStoreSpec(db: Queryable, spec: EmbeddingSpec): Promise<void> {
  const stored = await readStoreSpec(db);
  if (stored && (stored.model !== spec.model || stored.dim !== spec.dim)) {
    throw new EmbeddingModelMismatchError(stored, spec);
  }
}

/** Checks one vector against the store's dimension and model before anything is written. */
export function assertVectorFits(spec: EmbeddingSpec, model: string, vector: ArrayLike<number>): void {
  if (model !== spec.model || vector.length !== spec.dim) {
    throw new ArcError(
      'dimension_mismatch',
      `embedding from ${model} (${vector.length}-d) does not fit the store, which holds ${spec.model} (${spec.dim}-d)`,
      { details: { expected: spec, got: { model, dim: vector.length } } },
    );
  }
}
