// A Piper voice's `<model>.onnx.json`: sample rate, espeak voice, inference defaults, phoneme ids, speakers.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ArcError } from '../../../protocol/errors.js';

const voiceConfigSchema = z.object({
  audio: z.object({ sample_rate: z.number().int().positive() }),
  espeak: z.object({ voice: z.string().min(1) }).optional(),
  phoneme_type: z.string().optional(),
  inference: z
    .object({
      noise_scale: z.number().optional(),
      length_scale: z.number().optional(),
      noise_w: z.number().optional(),
    })
    .optional(),
  num_speakers: z.number().int().min(1).optional(),
  speaker_id_map: z.record(z.string(), z.number().int().min(0)).optional(),
  phoneme_id_map: z.record(z.string(), z.array(z.number().int().min(0)).min(1)),
});

export interface PiperVoiceConfig {
  sampleRate: number;
  /** espeak-ng voice used to phonemise (e.g. `en-us`). */
  espeakVoice: string;
  noiseScale: number;
  lengthScale: number;
  noiseW: number;
  numSpeakers: number;
  /** Speaker name → id, for multi-speaker voices. */
  speakers: Record<string, number>;
  /** Phoneme (one Unicode code point) → ids. */
  phonemeIds: Map<string, number[]>;
}

/** Piper's inference defaults (piper.hpp) for configs that leave them out. */
const DEFAULT_SCALES = { noise_scale: 0.667, length_scale: 1, noise_w: 0.8 };

/** The config path Piper uses: `<model>.onnx.json` beside the model. */
export function configPathFor(modelPath: string): string {
  return `${modelPath}.json`;
}

/** Reads and checks a voice config; a missing or malformed one is `invalid_request` naming the file. */
export async function loadVoiceConfig(path: string): Promise<PiperVoiceConfig> {
  if (!existsSync(path)) throw new ArcError('invalid_request', `Piper voice config ${path} does not exist`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ArcError('invalid_request', `Piper voice config ${path} is not JSON`, { cause: err });
  }
  const parsed = voiceConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ArcError('invalid_request', `Piper voice config ${path} is not valid: ${problems}`);
  }
  const c = parsed.data;
  if (c.phoneme_type && c.phoneme_type !== 'espeak') {
    throw new ArcError('invalid_request', `Piper phoneme_type "${c.phoneme_type}" is not supported (only espeak)`);
  }
  for (const symbol of ['_', '^', '$']) {
    if (!c.phoneme_id_map[symbol]) throw new ArcError('invalid_request', `Piper phoneme_id_map lacks "${symbol}"`);
  }
  return {
    sampleRate: c.audio.sample_rate,
    espeakVoice: c.espeak?.voice ?? 'en-us',
    noiseScale: c.inference?.noise_scale ?? DEFAULT_SCALES.noise_scale,
    lengthScale: c.inference?.length_scale ?? DEFAULT_SCALES.length_scale,
    noiseW: c.inference?.noise_w ?? DEFAULT_SCALES.noise_w,
    numSpeakers: c.num_speakers ?? 1,
    speakers: c.speaker_id_map ?? {},
    phonemeIds: new Map(Object.entries(c.phoneme_id_map)),
  };
}
