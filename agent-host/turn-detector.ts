// End-of-turn from the words so far: a short silence ends the turn unless the transcript says the user is
// mid-thought (a trailing "and", "to", "the", a number being dictated, a filler), in which case agents-js
// waits for its longer endpointing delay. This is what makes a ~200 ms silence safe.
import type { llm } from '@livekit/agents';

/** Words after which a sentence is almost never finished. */
const UNFINISHED_ENDINGS = new Set([
  // conjunctions and subordinators
  'and',
  'or',
  'but',
  'so',
  'because',
  'if',
  'when',
  'while',
  'although',
  'though',
  'unless',
  'until',
  'than',
  'that',
  'which',
  'who',
  'whose',
  'where',
  'then',
  // prepositions
  'to',
  'of',
  'for',
  'with',
  'about',
  'at',
  'in',
  'on',
  'from',
  'by',
  'into',
  'onto',
  'over',
  'under',
  'between',
  'after',
  'before',
  'like',
  'as',
  'per',
  'via',
  'without',
  'through',
  'near',
  // determiners, possessives, copulas and auxiliaries
  'the',
  'a',
  'an',
  'my',
  'your',
  'his',
  'her',
  'our',
  'their',
  'its',
  'this',
  'these',
  'those',
  'some',
  'any',
  'is',
  'are',
  'was',
  'were',
  'be',
  'am',
  'do',
  'does',
  'did',
  'can',
  'could',
  'will',
  'would',
  'should',
  'shall',
  'may',
  'might',
  'must',
  'have',
  'has',
  'had',
  'want',
  'need',
  'going',
  "i'm",
  "it's",
  "let's",
  // fillers
  'um',
  'uh',
  'er',
  'erm',
  'hmm',
  'well',
]);

/** Words that stand for a missing object: a clause holding one can end in a bare infinitive. */
const QUESTION_WORDS = new Set(['what', 'which', 'who', 'whom', 'where', 'when', 'how', 'why', 'whatever']);

/** Number words: a number being dictated (a phone number, a date) continues after a pause. */
const NUMBER_WORDS = new Set([
  'zero',
  'oh',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
  'twenty',
  'thirty',
  'forty',
  'fifty',
  'sixty',
  'seventy',
  'eighty',
  'ninety',
  'hundred',
  'thousand',
  'point',
  'double',
  'triple',
]);

export interface TranscriptTurnDetectorOptions {
  /** Probability reported for a transcript that reads finished. */
  finished: number;
  /** Probability reported for one that reads unfinished (below `threshold` → the longer delay). */
  unfinished: number;
  threshold: number;
  /** Trailing number words that count as dictation (one is often a complete answer: "two"). */
  minNumberRun: number;
}

export const TURN_DETECTOR_DEFAULTS: TranscriptTurnDetectorOptions = {
  finished: 0.9,
  unfinished: 0.05,
  threshold: 0.5,
  minNumberRun: 2,
};

/** Why a transcript reads unfinished, or undefined when it reads finished. */
export function unfinishedReason(text: string, minNumberRun = TURN_DETECTOR_DEFAULTS.minNumberRun): string | undefined {
  const words = text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const last = words.at(-1);
  if (!last) return undefined;
  if (UNFINISHED_ENDINGS.has(last)) return `ends with "${last}"`;
  // "remind me to call …", "I need to book …": an infinitive at the very end usually wants its object, unless
  // a question word already stands for it ("what do you like to drink", "where do I need to go").
  if (words.at(-2) === 'to' && words.length >= 3 && !words.some((w) => QUESTION_WORDS.has(w))) {
    return `ends with "to ${last}"`;
  }
  let run = 0;
  for (
    let i = words.length - 1;
    i >= 0 && (NUMBER_WORDS.has(words[i] as string) || /^\d+$/.test(words[i] as string));
    i--
  )
    run++;
  if (run >= minNumberRun) return `dictating a number (${run} number words)`;
  return undefined;
}

/** agents-js text turn detector (`_TurnDetector`): probability that the user finished their turn. */
export class TranscriptTurnDetector {
  readonly model = 'arc-transcript-rules';
  readonly provider = 'arc';
  readonly options: TranscriptTurnDetectorOptions;

  constructor(options: Partial<TranscriptTurnDetectorOptions> = {}) {
    this.options = { ...TURN_DETECTOR_DEFAULTS, ...options };
  }

  async unlikelyThreshold(): Promise<number> {
    return this.options.threshold;
  }

  async supportsLanguage(): Promise<boolean> {
    return true;
  }

  async predictEndOfTurn(chatCtx: llm.ChatContext): Promise<number> {
    const last = [...chatCtx.items].reverse().find((i) => 'role' in i && i.role === 'user') as
      | llm.ChatMessage
      | undefined;
    const text = last?.textContent ?? '';
    return unfinishedReason(text, this.options.minNumberRun) ? this.options.unfinished : this.options.finished;
  }
}
