// TTS engine selection: Piper when a voice model is configured (PIPER_MODEL), else a system engine.
import type { Config } from '../../config/index.js';
import { EspeakEngine, type EspeakOptions } from './espeak.js';
import { FliteEngine, type FliteOptions } from './flite.js';
import { PiperEngine, type PiperOptions } from './piper/engine.js';
import type { TtsEngine } from './types.js';

export { EspeakEngine } from './espeak.js';
export { FliteEngine } from './flite.js';
export { PiperEngine } from './piper/engine.js';
export * from './stream.js';
export * from './types.js';

export type TtsEngineName = 'piper' | 'flite' | 'espeak-ng';

export interface TtsEngineChoice {
  /** Default: `piper` when `config.models.piper` is set, else `flite` (16 kHz slt: the clearest system voice). */
  engine?: TtsEngineName;
  piper?: Partial<PiperOptions>;
  flite?: Partial<FliteOptions>;
  espeak?: Partial<EspeakOptions>;
}

/** Builds the configured engine (not yet warm: call `warm()` before taking requests). */
export async function createTtsEngine(
  config: Pick<Config, 'models'>,
  choice: TtsEngineChoice = {},
): Promise<TtsEngine> {
  const name = choice.engine ?? (config.models.piper ? 'piper' : 'flite');
  switch (name) {
    case 'piper': {
      const modelPath = choice.piper?.modelPath ?? config.models.piper;
      if (!modelPath) throw new Error('the piper engine needs PIPER_MODEL');
      return PiperEngine.create({ ...choice.piper, modelPath });
    }
    case 'espeak-ng':
      return EspeakEngine.create(choice.espeak);
    case 'flite':
      return FliteEngine.create(choice.flite);
  }
}
