// embed.request: texts in, unit vectors out, from the configured sentence encoder (loaded once per replica).
import { loadEmbedder } from '../../lib/engines/embedding/index.js';
import { embedContract } from '../../lib/protocol/index.js';
import { defineFunction } from '../../lib/runtime/define.js';

/** Six decimals keep cosine exact to ~1e-6 and halve the JSON size of a 64 × 512 batch. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export default defineFunction(
  embedContract,
  async ({ config, log }) => {
    const embedder = await loadEmbedder(config, log);
    // The first inference compiles the model's kernels (hundreds of ms): pay it here, not on a user's turn.
    const t0 = performance.now();
    await embedder.embed(['warm up the encoder'], AbortSignal.timeout(10_000)).catch(() => {});
    log.info({ warmMs: Math.round(performance.now() - t0) }, 'embedder warm');
    return {
      handle: async (req, ctx) => {
        const t0 = performance.now();
        const vectors = await embedder.embed(req.texts, ctx.signal);
        ctx.log.debug({ texts: req.texts.length, ms: Math.round(performance.now() - t0) }, 'embedded');
        return { model: embedder.model, dim: embedder.dim, vectors: vectors.map((v) => Array.from(v, round6)) };
      },
      close: () => embedder.close(),
    };
  },
  // The encoders run on this thread: a few at once keep batches flowing without starving the event loop.
  { maxConcurrent: 4 },
);
