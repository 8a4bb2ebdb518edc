// The host's speech front end, built the same way in every process that needs it: Silero VAD + the STT engine,
// tuned for latency (see docs/latency.md): a short silence ends speech, the recogniser is warm and streaming,
// and a pause inside speech sends the words so far ahead (preflight) so the reply can start early.
import type { stt, VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import type { Config } from '../lib/config/index.js';
import { createStt, type SttChoice } from '../lib/engines/stt/index.js';
import { LevelEndVAD } from '../lib/engines/vad/level-end.js';

export interface SpeechProfile {
  /** Silero options, in milliseconds (the plugin's unit). */
  vad: { minSilenceDuration: number; minSpeechDuration: number };
  /** A pause this long inside speech sends the hypothesis so far as a preflight transcript (PocketSphinx). */
  preflightSilenceMs?: number;
  /** Quiet (by level) this long ends speech, when before Silero's own end (see LevelEndVAD); unset = Silero only. */
  endSilenceMs?: number;
  /** Warm decoders (one per concurrent utterance). */
  poolSize: number;
  /** PocketSphinx's second search pass on the final transcript: fewer word errors, ~50–100 ms later final. */
  secondPass: boolean;
}

/**
 * End of speech after 200 ms of silence: safe because the session's transcript turn detector waits longer
 * when the words so far read unfinished. Preflight at 150 ms (the decoder's hypothesis has settled by then)
 * starts the brain and the first TTS chunk during that silence.
 */
export const FAST_SPEECH: SpeechProfile = {
  vad: { minSilenceDuration: 200, minSpeechDuration: 50 },
  preflightSilenceMs: 150,
  endSilenceMs: 200,
  poolSize: 3,
  secondPass: false,
};

export interface Speech {
  vad: VAD;
  stt: stt.STT;
  close(): Promise<void>;
}

/** Loads the VAD model and starts the configured recogniser (Whisper with WHISPER_MODEL, else PocketSphinx). */
export async function loadSpeech(
  config: Pick<Config, 'models'>,
  profile: SpeechProfile = FAST_SPEECH,
  choice: Omit<SttChoice, 'pocketsphinx'> = {},
): Promise<Speech> {
  const model = await silero.VAD.load(profile.vad);
  const vad =
    profile.endSilenceMs === undefined ? model : new LevelEndVAD(model, { endSilenceMs: profile.endSilenceMs });
  const recogniser = await createStt(config, {
    ...choice,
    pocketsphinx: {
      vad,
      poolSize: profile.poolSize,
      preflightSilenceMs: profile.preflightSilenceMs,
      secondPass: profile.secondPass,
    },
    whisper: { vad },
  });
  return {
    vad,
    stt: recogniser,
    close: async () => {
      await (recogniser as { close?: () => Promise<void> }).close?.();
    },
  };
}
