// What both PocketSphinx back ends share: options, decoder arguments, and the utterance-decoder contract the
// STT and its streams use (a process per utterance, or a reusable decoder inside this process).

/** The only rate the en-us acoustic model accepts. */
export const SPHINX_RATE = 16000;
/** Where Debian's pocketsphinx-en-us puts the model. */
export const SPHINX_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

export interface SphinxOptions {
  /**
   * `native`: libpocketsphinx in this process through FFI (partial transcripts, ~10 ms to the final, one
   * reusable decoder per concurrent utterance); `process`: a pocketsphinx_continuous process per utterance;
   * `auto`: native when the library loads, else process.
   */
  backend: 'auto' | 'native' | 'process';
  /** pocketsphinx_continuous executable (process back end). */
  command: string;
  /** Acoustic model, language model and dictionary (Debian's en-us model when unset). */
  hmm?: string;
  lm?: string;
  dict?: string;
  /**
   * Run the second (flat-lexicon) search pass at end of utterance: ~half the word errors, but ~100 ms more
   * between end of speech and the final transcript. Off by default: latency is the product.
   */
  secondPass: boolean;
  /** Further `-name value` decoder arguments. */
  extraArgs: string[];
}

export const SPHINX_DEFAULTS: SphinxOptions = {
  backend: 'auto',
  command: 'pocketsphinx_continuous',
  secondPass: false,
  extraArgs: [],
};

/** Decoder configuration as `-name value` pairs (no input arguments). */
export function decoderArgs(o: SphinxOptions): string[] {
  return [
    '-hmm',
    o.hmm ?? `${SPHINX_MODEL_DIR}/en-us`,
    '-lm',
    o.lm ?? `${SPHINX_MODEL_DIR}/en-us.lm.bin`,
    '-dict',
    o.dict ?? `${SPHINX_MODEL_DIR}/cmudict-en-us.dict`,
    '-samprate',
    String(SPHINX_RATE),
    '-fwdflat',
    o.secondPass ? 'yes' : 'no',
    ...o.extraArgs,
  ];
}

/** One utterance at a time: fed 16 kHz mono audio as it arrives, finished at end of speech. */
export interface UtteranceDecoder {
  /** For logs and request ids. */
  readonly id: string;
  /** False once it cannot take another utterance (a process that exited, a freed decoder). */
  readonly alive: boolean;
  /** Seconds of audio in the current utterance. */
  readonly audioSeconds: number;
  /** Called with each segment the decoder's own endpointer closes (at pauses of ~0.5 s). */
  onSegment(listener: (text: string) => void): void;
  /** Called with the growing hypothesis of the open segment (only back ends that have one). */
  onPartial(listener: (text: string) => void): void;
  write(samples: Int16Array): void;
  /** Ends the utterance; resolves with all its segments joined. Aborting discards it. */
  finish(signal?: AbortSignal): Promise<string>;
  /** Frees it (a process is killed; a native decoder is released once idle). */
  kill(): Promise<void>;
}
