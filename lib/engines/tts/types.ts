// The one streaming interface every TTS engine (Piper, flite, espeak-ng) implements.

/** A piece of synthesised speech: mono s16 samples at `sampleRate`. */
export interface TtsChunk {
  samples: Int16Array;
  sampleRate: number;
  /** Index of the text chunk (sentence or clause) it belongs to. */
  sentence: number;
}

/** What happens inside one synthesis, in order; lets callers and tests see that output is streamed. */
export type SynthesisEvent =
  | { type: 'sentence_start'; index: number; text: string }
  | { type: 'sentence_end'; index: number; samples: number };

export interface SynthesizeOptions {
  /** Engine voice; the engine's default when omitted; an unknown one fails with `unknown_voice`. */
  voice?: string;
  /** Output rate; the voice's native rate when omitted. */
  sampleRate?: number;
  /** Aborting stops synthesis (child processes are killed) and ends the stream quietly. */
  signal?: AbortSignal;
  /** Speaking-rate multiplier: 1 normal, larger slower (Piper length_scale, flite duration_stretch, espeak -s). */
  lengthScale?: number;
  /** Piper: multi-speaker voices. */
  speakerId?: number;
  /** Piper: generator noise (default from the voice's config). */
  noiseScale?: number;
  /** Piper: phoneme duration noise (default from the voice's config). */
  noiseW?: number;
  /** Drop the silence before the first sound (flite opens with ~180 ms of it). Default true. */
  trimLeadingSilence?: boolean;
  /** Longest chunk handed out, ms (smaller = finer cancellation and earlier playback). Default 200. */
  maxChunkMs?: number;
  /** Observer of sentence starts and ends. */
  onEvent?: (event: SynthesisEvent) => void;
}

/** Audio for one text chunk at the engine's native rate, produced as the engine produces it. */
export type SentenceSynthesizer = (text: string, index: number, signal: AbortSignal) => AsyncIterable<Int16Array>;

export interface TtsEngine {
  /** `piper`, `flite` or `espeak-ng`. */
  readonly name: string;
  readonly defaultVoice: string;
  /** Voices this engine can speak with. */
  voices(): readonly string[];
  /** Native rate of a voice; throws `unknown_voice` for a voice the engine does not have. */
  sampleRateOf(voice?: string): number;
  /** Loads models and starts processes so that the first request is as fast as the hundredth. */
  warm(): Promise<void>;
  /**
   * Speech for `text`, chunk by chunk as each sentence is synthesised (never one buffered file). Throws
   * `unknown_voice` / `invalid_request` before the first chunk; stops within one chunk on abort.
   */
  synthesize(text: string, options?: SynthesizeOptions): AsyncIterable<TtsChunk>;
  /** Stops waiting processes and frees models. */
  close(): Promise<void>;
}
