// brain.request: retrieve memories, generate a spoken reply, stream it as text deltas (LangGraph in lib/brain).
import { buildBrainGraph, runBrain } from '../../lib/brain/graph.js';
import { createPersister } from '../../lib/brain/persist.js';
import { createRetriever } from '../../lib/brain/retrieve.js';
import type { Config } from '../../lib/config/index.js';
import { openDatabase } from '../../lib/db/index.js';
import { embeddingSpecFromConfig } from '../../lib/engines/embedding/index.js';
import { createLlm, type LlmAdapter } from '../../lib/engines/llm/index.js';
import type { Logger } from '../../lib/log.js';
import { brainContract, isArcError } from '../../lib/protocol/index.js';
import { defineFunction } from '../../lib/runtime/define.js';

export interface BrainOptions {
  /** NATS subject of the function (tests use their own). */
  subject?: string;
  /** Responder override; by default chosen from config (LLM_ENDPOINT → LLM_MODEL_PATH → memory responder). */
  llm?: (config: Config, log: Logger) => Promise<LlmAdapter>;
}

/** Builds the function; the default export is the production one. */
export function brainFunction(options: BrainOptions = {}) {
  const contract = options.subject ? { ...brainContract, subject: options.subject } : brainContract;
  return defineFunction(
    contract,
    async ({ config, log, client }) => {
      const spec = embeddingSpecFromConfig(config);
      const db = await openDatabase({ config, log, spec, migrate: false });
      try {
        await db.ensureSchema();
      } catch (err) {
        if (isArcError(err, 'dimension_mismatch')) {
          await db.close();
          throw err;
        }
        log.warn({ err: (err as Error).message }, 'database not reachable yet: answering without memories until it is');
      }
      const llm = await (options.llm ?? createLlm)(config, log);
      const retrieve = createRetriever({
        db,
        log,
        embed: async (texts, signal) => client.call('embed', { texts }, { signal }),
      });
      const persister = createPersister((event) => client.call('session-write', event), log);
      const graph = buildBrainGraph({ retrieve, llm, persister, log });
      // One retrieval before the first real turn: the embed call, the query plan and the pool are warm then.
      // It reads a user nobody is, writes nothing, and failing it (embed not up yet) only means a slower first turn.
      const t0 = performance.now();
      await retrieve({ userId: '__warmup__', sessionId: 'warmup', text: 'warm up' }, AbortSignal.timeout(5_000)).catch(
        (err: Error) => log.debug({ err: err.message }, 'brain warm-up skipped'),
      );
      log.info({ model: llm.model, embedding: spec.model, warmMs: Math.round(performance.now() - t0) }, 'brain ready');
      return {
        async *handle(req, ctx) {
          yield* runBrain(graph, req, ctx.signal);
        },
        ready: async () => ({
          ok: true,
          detail: `${llm.model}; memory ${(await db.ping()) ? 'reachable' : 'unreachable'}`,
        }),
        close: async () => {
          await persister.drain();
          await llm.close?.();
          await db.close();
        },
      };
    },
    { maxConcurrent: 16 },
  );
}

export default brainFunction();
