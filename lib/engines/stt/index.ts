// STT engine selection: Whisper when a model is configured (WHISPER_MODEL), else PocketSphinx.
import type { stt } from '@livekit/agents';
import type { Config } from '../../config/index.js';
import { PocketSphinxSTT, type PocketSphinxSTTOptions } from './pocketsphinx/stt.js';
import { WhisperSTT, type WhisperSTTOptions } from './whisper.js';

export * from './input.js';
export { SphinxDecoder } from './pocketsphinx/decoder.js';
export { loadSphinxLibrary, NativeSphinxDecoder } from './pocketsphinx/native.js';
export { SPHINX_RATE, type SphinxOptions, type UtteranceDecoder } from './pocketsphinx/options.js';
export { PocketSphinxSpeechStream } from './pocketsphinx/stream.js';
export { POCKETSPHINX_DEFAULTS, PocketSphinxSTT, resolveBackend } from './pocketsphinx/stt.js';
export { loadWhisperBinding, WhisperSTT } from './whisper.js';

export interface SttChoice {
  /** Default: `whisper` when `config.models.whisper` is set, else `pocketsphinx`. */
  engine?: 'whisper' | 'pocketsphinx';
  pocketsphinx?: Partial<PocketSphinxSTTOptions>;
  whisper?: Partial<WhisperSTTOptions>;
}

/** Builds and warms the configured recogniser. */
export async function createStt(config: Pick<Config, 'models'>, choice: SttChoice = {}): Promise<stt.STT> {
  const name = choice.engine ?? (config.models.whisper ? 'whisper' : 'pocketsphinx');
  if (name === 'whisper') {
    const modelPath = choice.whisper?.modelPath ?? config.models.whisper;
    if (!modelPath) throw new Error('the whisper engine needs WHISPER_MODEL');
    return WhisperSTT.create({ ...choice.whisper, modelPath });
  }
  return PocketSphinxSTT.create(choice.pocketsphinx);
}
