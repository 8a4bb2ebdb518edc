// Picks the embedder from config: EMBEDDING_MODEL (ONNX sentence-transformer) or the embedded USE-lite default.
import type { Config } from '../../config/index.js';
import type { EmbeddingSpec } from '../../db/migrations.js';
import type { Logger } from '../../log.js';
import { CachedEmbedder, type Embedder } from './embedder.js';
import { OnnxSentenceEmbedder, onnxModelSpec } from './onnx-minilm.js';
import { USE_LITE_DIM, USE_LITE_MODEL, UseLiteEmbedder } from './use-lite.js';

/**
 * The model id and dimension this configuration embeds with, known without loading the model: processes that
 * only store or search vectors (brain, session-write) use it to check the store and every embed reply.
 */
export function embeddingSpecFromConfig(config: Config): EmbeddingSpec {
  return config.models.embedding
    ? onnxModelSpec(config.models.embedding)
    : { model: USE_LITE_MODEL, dim: USE_LITE_DIM };
}

/** Loads the configured embedder, wrapped in an LRU cache of `cacheSize` texts. */
export async function loadEmbedder(config: Config, log: Logger, cacheSize = 2_000): Promise<CachedEmbedder> {
  const inner: Embedder = config.models.embedding
    ? await OnnxSentenceEmbedder.load(config.models.embedding, log)
    : await UseLiteEmbedder.load(log);
  return new CachedEmbedder(inner, cacheSize);
}

export { CachedEmbedder, cosine, Embedder, normalize } from './embedder.js';
export { OnnxSentenceEmbedder, onnxModelSpec } from './onnx-minilm.js';
export { USE_LITE_DIM, USE_LITE_MODEL, UseLiteEmbedder } from './use-lite.js';
export { WordPieceTokenizer } from './wordpiece.js';
