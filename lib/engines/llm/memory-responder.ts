// The embedded default when no LLM is configured: answers only from what the user said before, and says so.
import type { Memory } from '../../protocol/index.js';
import type { GenerateInput, LlmAdapter } from './llm.js';

/** The `model` the brain reports: nobody may mistake these replies for a language model's. */
export const MEMORY_RESPONDER_MODEL = 'memory-responder (no LLM configured)';
export const NO_LLM_NOTE = 'No language model is configured, so I can only answer from what you told me.';

/** Below this cosine similarity a memory is not offered as an answer to a general question (USE-lite scale). */
const RELATED_MIN_SIMILARITY = 0.35;

const NAME_QUESTION = /\b(what(?:'s| is) my name|who am i|do you (?:know|remember) my name)\b/i;
// Case-sensitive on purpose: a second name word must be capitalised, so "Ada and I live…" yields "Ada".
const NAME_FACT =
  /\b(?:[Mm]y name is|[Mm]y name's|I am called|I'm called|[Cc]all me)\s+(\p{L}[\p{L}'-]*(?:\s+\p{Lu}[\p{L}'-]*)?)/u;
const RECALL_QUESTION =
  /\b(?:what did i (?:tell|say to) you about|do you remember|what do you (?:know|remember) about)\s+(.+?)[?.!]*$/i;
const QUESTION = /\?\s*$|^\s*(what|where|who|when|why|how|which|do|does|did|is|are|can|could|will|would)\b/i;

/**
 * A deterministic responder, clearly labelled: it recalls names and facts from retrieved memories with fixed
 * sentence patterns. It never invents anything and never claims to be a language model.
 */
export class MemoryResponder implements LlmAdapter {
  readonly model = MEMORY_RESPONDER_MODEL;

  async *generate(input: GenerateInput): AsyncGenerator<string> {
    const reply = `${answer(input.userText, input.memories)} ${NO_LLM_NOTE}`;
    // Word by word, like a model's tokens, so the pipeline downstream behaves the same.
    for (const piece of reply.match(/\S+\s*/g) ?? []) {
      if (input.signal.aborted) return;
      yield piece;
    }
  }
}

/** The reply's first sentences, from the utterance and the user's own earlier words. */
export function answer(userText: string, memories: readonly Memory[]): string {
  // What the user stated, best match first; their earlier questions are not facts.
  const said = memories
    .filter((m) => m.role === 'user' && !QUESTION.test(m.text))
    .sort((a, b) => b.similarity - a.similarity);
  if (NAME_QUESTION.test(userText)) {
    for (const m of said) {
      const name = NAME_FACT.exec(m.text)?.[1];
      if (name) return `Your name is ${name}. You told me that earlier.`;
    }
    return 'You have not told me your name yet.';
  }
  const recall = RECALL_QUESTION.exec(userText);
  if (recall) {
    const words = contentWords(recall[1] as string);
    const match = said.find((m) => contentWords(m.text).some((w) => words.includes(w))) ?? said[0];
    return match ? `You told me that ${toSecondPerson(match.text)}` : 'You have not told me anything about that yet.';
  }
  if (QUESTION.test(userText)) {
    const best = said[0];
    return best && best.similarity >= RELATED_MIN_SIMILARITY
      ? `Here is what you told me that seems related: ${toSecondPerson(best.text)}`
      : 'I do not know that yet.';
  }
  return "Got it. I'll remember that.";
}

/** "I live in Lisbon." → "you live in Lisbon." (good enough for the short facts people state). */
export function toSecondPerson(text: string): string {
  const swapped = text
    .trim()
    .replace(/\b(I am|I'm)\b/g, 'you are')
    .replace(/\bI\b/g, 'you')
    .replace(/\b[Mm]y\b/g, 'your')
    .replace(/\b[Mm]ine\b/g, 'yours')
    .replace(/\b[Mm]yself\b/g, 'yourself')
    .replace(/\b[Mm]e\b/g, 'you');
  const sentence = swapped.charAt(0).toLowerCase() + swapped.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

const STOP_WORDS = new Set(
  'a an the my your i you me to of in on at about and or is are was were it that this what did do does for with'.split(
    ' ',
  ),
);

function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []).filter((w) => w.length > 2 && !STOP_WORDS.has(w));
}
