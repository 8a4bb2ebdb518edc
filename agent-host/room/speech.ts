// The host's speech front end, built the same way in every process that needs it: Silero VAD + the STT engine.
import type { stt, VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import type { Config } from '../../lib/config/index.js';
import { createStt } from '../../lib/engines/stt/index.js';

/** Silero settings: end of speech after 400 ms of silence (the session's endpointing delay comes on top). */
export const VAD_OPTIONS = { minSilenceDuration: 0.4, minSpeechDuration: 0.05 } as const;

export interface Speech {
  vad: VAD;
  stt: stt.STT;
  close(): Promise<void>;
}

/** Loads the VAD model and starts the configured recogniser (Whisper with WHISPER_MODEL, else PocketSphinx). */
export async function loadSpeech(config: Pick<Config, 'models'>): Promise<Speech> {
  const vad = await silero.VAD.load(VAD_OPTIONS);
  const recogniser = await createStt(config, { pocketsphinx: { vad } });
  return {
    vad,
    stt: recogniser,
    close: async () => {
      await (recogniser as { close?: () => Promise<void> }).close?.();
    },
  };
}
