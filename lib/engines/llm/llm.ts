// The one interface every responder implements: chat messages in, text deltas out, as soon as they exist.
import type { Memory } from '../../protocol/index.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateInput {
  /** The full prompt: system message first, the current utterance last. */
  messages: ChatMessage[];
  /** The current utterance on its own (the last user message). */
  userText: string;
  /** What retrieval found, best first; responders that do not read `messages` answer from these. */
  memories: readonly Memory[];
  /** Aborts on barge-in, deadline or shutdown: stop generating and end quietly. */
  signal: AbortSignal;
}

/** A text generator. `model` is what the brain reports in its final chunk (never a name it is not). */
export interface LlmAdapter {
  readonly model: string;
  /** Yields text deltas in order; concatenated they are the reply. Throws ArcError (`upstream`, `timeout`…). */
  generate(input: GenerateInput): AsyncIterable<string>;
  close?(): Promise<void>;
}
