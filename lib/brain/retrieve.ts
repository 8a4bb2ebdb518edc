// retrieve_context: embed the utterance, then the user's top-k memories plus this session's last turns.
import { type Database, recentConversations, type StoredTurn, searchConversations, withDbRetry } from '../db/index.js';
import { assertVectorFits } from '../db/store-meta.js';
import type { Logger } from '../log.js';
import type { Memory } from '../protocol/index.js';

/** Embeds texts; the brain passes a FunctionClient call to `embed`, tests and tools may embed in-process. */
export type EmbedFn = (texts: string[], signal: AbortSignal) => Promise<{ model: string; vectors: number[][] }>;

export interface RetrieveResult {
  memories: Memory[];
  /** The utterance's embedding, handed on to persist so session-write need not embed it again. */
  embedding?: { model: string; vector: number[] };
  timings: { embedMs: number; searchMs: number };
  /** Set when the store could not be searched: the brain answers without memories rather than not at all. */
  degraded?: string;
}

export interface RetrieverOptions {
  db: Database;
  embed: EmbedFn;
  log: Logger;
  /** Memories by similarity (default 5). */
  topK?: number;
  /** This session's last turns added to the context (default 4). */
  recentTurns?: number;
}

export type Retriever = (
  req: { userId: string; sessionId: string; text: string },
  signal: AbortSignal,
) => Promise<RetrieveResult>;

/**
 * Builds the retrieve step: the user's own words by similarity (the agent's replies are derived text and would
 * echo themselves back), plus this session's last turns of both roles. Embedding failures and model mismatches
 * throw; a database outage degrades to no memories.
 */
export function createRetriever(options: RetrieverOptions): Retriever {
  const { db, embed, log } = options;
  const topK = options.topK ?? 5;
  const recentTurns = options.recentTurns ?? 4;
  return async function retrieveContext(req, signal) {
    const t0 = performance.now();
    const { model, vectors } = await embed([req.text], signal);
    const vector = vectors[0] ?? [];
    assertVectorFits(db.spec, model, vector);
    const t1 = performance.now();
    const embedMs = t1 - t0;
    try {
      await db.ensureSchema();
      // One quick retry: a dropped pooled connection should not cost the user their memories.
      const retry = { attempts: 2, baseDelayMs: 20, signal, log };
      const [similar, recent] = await Promise.all([
        withDbRetry(
          'memory search',
          () => searchConversations(db.pool, req.userId, vector, { k: topK, role: 'user' }),
          retry,
        ),
        recentTurns > 0
          ? withDbRetry(
              'recent turns',
              () => recentConversations(db.pool, req.sessionId, req.userId, vector, recentTurns),
              retry,
            )
          : [],
      ]);
      const seen = new Set(similar.map((t) => t.id));
      const memories = [
        ...similar.map((t) => toMemory(t, 'semantic')),
        ...recent.filter((t) => !seen.has(t.id)).map((t) => toMemory(t, 'recent')),
      ];
      return { memories, embedding: { model, vector }, timings: { embedMs, searchMs: performance.now() - t1 } };
    } catch (err) {
      const reason = (err as Error).message;
      if ((err as { code?: string }).code === 'dimension_mismatch') throw err;
      log.warn({ err: reason }, 'memory search failed: answering without memories');
      return {
        memories: [],
        embedding: { model, vector },
        timings: { embedMs, searchMs: performance.now() - t1 },
        degraded: reason,
      };
    }
  };
}

function toMemory(t: StoredTurn, source: 'semantic' | 'recent'): Memory {
  return { ...t, similarity: Math.round(t.similarity * 1e4) / 1e4, source };
}
