// tts.request: text in, raw PCM s16le mono chunks out (Arc-Sample-Rate on every chunk), each sentence's
// audio sent as soon as it is synthesised; chunks are at most 200 ms so a cancel takes effect within one.
import { z } from 'zod';
import { binaryStreamContract } from '../contract.js';
import { SUBJECTS } from '../subjects.js';
import { spokenText, subjectId } from './common.js';

/** Long texts are accepted and synthesised sentence by sentence with bounded memory. */
export const TTS_MAX_TEXT_CHARS = 200_000;
export const TTS_SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;

export const ttsRequest = z.object({
  requestId: subjectId,
  text: spokenText(TTS_MAX_TEXT_CHARS),
  /** Engine-specific voice name; unknown voices are refused with `unknown_voice`. */
  voice: z.string().min(1).max(64).optional(),
  /** Output rate; the engine's native rate when omitted. */
  sampleRate: z
    .number()
    .int()
    .refine((r) => (TTS_SAMPLE_RATES as readonly number[]).includes(r), {
      message: `must be one of ${TTS_SAMPLE_RATES.join(', ')}`,
    })
    .optional(),
  /** Piper: multi-speaker voices. */
  speakerId: z.number().int().min(0).max(10_000).optional(),
  /** Piper/espeak: speaking rate multiplier (1 = normal, larger = slower). */
  lengthScale: z.number().min(0.25).max(4).optional(),
  /** Piper: generator noise (the voice's config when omitted). */
  noiseScale: z.number().min(0).max(2).optional(),
  /** Piper: phoneme duration noise (the voice's config when omitted). */
  noiseW: z.number().min(0).max(2).optional(),
  /** Drop the silence before the first sound (flite opens with ~180 ms of it); default true. */
  trimLeadingSilence: z.boolean().optional(),
});
export type TtsRequest = z.infer<typeof ttsRequest>;

export const ttsContract = binaryStreamContract({
  name: 'tts',
  subject: SUBJECTS.tts,
  description: 'synthesise speech, stream PCM s16le mono chunks',
  request: ttsRequest,
  contentType: 'audio/L16',
  timeoutMs: 120_000,
  firstChunkTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
});
