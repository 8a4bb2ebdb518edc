// Backchannels: "mhm", "okay", "yeah" said while the agent talks are the listener keeping up, not a turn. Their
// transcripts are held back from the session while a reply is live, so agents-js treats the sound as a false
// interruption (paused, then resumed where it paused) instead of cutting the reply and answering "okay".
import { ReadableStream } from 'node:stream/web';
import { stt } from '@livekit/agents';

type SpeechEvent = stt.SpeechEvent;

export interface BackchannelOptions {
  /** Words (lower case) that alone make an acknowledgement; a transcript made only of these is a backchannel. */
  words: readonly string[];
  /** Longest acknowledgement, in words ("uh huh okay" = 3); longer is a real turn even if every word is listed. */
  maxWords: number;
  /** Treat single-letter tokens (PocketSphinx spells a hum as "m m h m") as part of an acknowledgement. */
  letters: boolean;
  /**
   * A sound this short (ms, the recogniser's utterance) read as at most `shortWords` words is an acknowledgement
   * whatever the words: a recogniser guesses a word for a hum or a breath ("whoa", "and"). 0 turns this off.
   */
  shortMs: number;
  shortWords: number;
  /** Words that always take the turn, however short ("stop", "wait"): never an acknowledgement. */
  stopWords: readonly string[];
}

export const DEFAULT_BACKCHANNEL: BackchannelOptions = {
  words: [
    'mhm',
    'mm',
    'mmm',
    'hmm',
    'hm',
    'uh',
    'huh',
    'um',
    'ah',
    'oh',
    'okay',
    'ok',
    'yeah',
    'yes',
    'yep',
    'yup',
    'right',
    'sure',
    'alright',
    'cool',
    'nice',
    'wow',
    // How PocketSphinx reads a closed-mouth hum ("mhm") most of the time.
    'well',
    'whew',
  ],
  maxWords: 3,
  letters: true,
  shortMs: 700,
  shortWords: 1,
  stopWords: ['stop', 'wait', 'no', 'hold', 'pause', 'sorry', 'excuse', 'hey', 'quiet', 'enough'],
};

/**
 * Whether a transcript is only an acknowledgement (an empty one is not: that is noise, agents-js's case).
 * `durationMs` is how long the recogniser's utterance lasted, when known (see `shortMs`).
 */
export function isBackchannel(
  text: string,
  options: BackchannelOptions = DEFAULT_BACKCHANNEL,
  durationMs?: number,
): boolean {
  const tokens = text
    .toLowerCase()
    .replace(/[^a-z' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  const words = new Set(options.words);
  const letter = (t: string) => options.letters && t.length === 1 && t !== 'i' && t !== 'a';
  // A run of letters is one sound ("m m h m" is a hum spelled out).
  const merged = tokens.filter((t, i) => !(letter(t) && i > 0 && letter(tokens[i - 1] as string)));
  if (merged.length === 0 || merged.some((t) => options.stopWords.includes(t))) return false;
  if (durationMs !== undefined && durationMs <= options.shortMs && merged.length <= options.shortWords) return true;
  if (merged.length > options.maxWords) return false;
  return merged.every((t) => words.has(t) || letter(t));
}

const TRANSCRIPTS = new Set([
  stt.SpeechEventType.INTERIM_TRANSCRIPT,
  stt.SpeechEventType.PREFLIGHT_TRANSCRIPT,
  stt.SpeechEventType.FINAL_TRANSCRIPT,
]);

/**
 * Passes the STT's events through, dropping transcripts that are only an acknowledgement while `agentTalking()`
 * says a reply is live. `onDrop` sees each dropped final (logs, metrics, tests).
 */
export function filterBackchannels(
  events: ReadableStream<SpeechEvent | string>,
  agentTalking: () => boolean,
  options: BackchannelOptions,
  onDrop?: (text: string) => void,
): ReadableStream<SpeechEvent | string> {
  const reader = events.getReader();
  return new ReadableStream<SpeechEvent | string>({
    async pull(controller) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        if (typeof value !== 'string' && TRANSCRIPTS.has(value.type) && agentTalking()) {
          const alt = value.alternatives?.[0];
          const text = alt?.text ?? '';
          const durationMs = alt && alt.endTime > alt.startTime ? (alt.endTime - alt.startTime) * 1000 : undefined;
          if (isBackchannel(text, options, durationMs)) {
            if (value.type === stt.SpeechEventType.FINAL_TRANSCRIPT) onDrop?.(text);
            continue;
          }
        }
        return controller.enqueue(value);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
