// brain.request: one user turn in, the spoken reply out as a stream of text deltas.
import { z } from 'zod';
import { jsonStreamContract } from '../contract.js';
import { SUBJECTS } from '../subjects.js';
import { role, spokenText, subjectId, userId } from './common.js';

/** Longest utterance the brain accepts; a spoken turn is far shorter, so more is a client bug. */
export const BRAIN_MAX_TEXT_CHARS = 8_000;

export const historyTurn = z.object({
  role,
  text: z.string().max(BRAIN_MAX_TEXT_CHARS),
  /** The reply was cut off by the user: `text` holds only what was actually played. */
  interrupted: z.boolean().optional(),
});
export type HistoryTurn = z.infer<typeof historyTurn>;

export const brainRequest = z.object({
  requestId: subjectId,
  sessionId: subjectId,
  userId,
  text: spokenText(BRAIN_MAX_TEXT_CHARS),
  history: z.array(historyTurn).max(50).optional(),
  /**
   * Which turns the brain stores through session-write: `all` (default: text clients), `user` (the voice
   * host stores the agent's turn itself, as actually heard), or `none`.
   */
  persist: z.enum(['all', 'user', 'none']).optional(),
});
export type BrainRequest = z.infer<typeof brainRequest>;

export const memory = z.object({
  id: z.string(),
  sessionId: z.string(),
  role,
  text: z.string(),
  /** Cosine similarity to the current utterance, 1 = same meaning. */
  similarity: z.number(),
  createdAt: z.string(),
  /** Why it is in the context: among the user's top-k by similarity, or one of this session's last turns. */
  source: z.enum(['semantic', 'recent']).optional(),
});
export type Memory = z.infer<typeof memory>;

export const brainTimings = z.record(z.string(), z.number());
export type BrainTimings = z.infer<typeof brainTimings>;

/** Chunks of the brain's reply stream, in order: one `context`, any number of `delta`s, one `final`. */
export const brainChunk = z.discriminatedUnion('type', [
  z.object({ type: z.literal('context'), memories: z.array(memory) }),
  z.object({ type: z.literal('delta'), text: z.string() }),
  z.object({
    type: z.literal('final'),
    response: z.string(),
    contextIds: z.array(z.string()),
    /** Milliseconds per stage (retrieve, first delta, generate…). */
    timings: brainTimings,
    /** Which responder produced the text, e.g. `openai:llama3` or `memory-responder (no LLM configured)`. */
    model: z.string(),
  }),
]);
export type BrainChunk = z.infer<typeof brainChunk>;

export const brainContract = jsonStreamContract({
  name: 'brain',
  subject: SUBJECTS.brain,
  description: 'retrieve memories, generate a spoken reply, stream text deltas',
  request: brainRequest,
  chunk: brainChunk,
  timeoutMs: 60_000,
  firstChunkTimeoutMs: 5_000,
  idleTimeoutMs: 15_000,
});
