// Audio into a recogniser: mono, at least 16 kHz (higher rates are resampled down), else a clear
// `unsupported_audio` error rather than a silently poor transcript.
import type { AudioFrame } from '@livekit/rtc-node';
import { concatPcm } from '../../audio/pcm.js';
import { resample } from '../../audio/resample.js';
import { readWav } from '../../audio/wav.js';
import { ArcError } from '../../protocol/errors.js';

/** Frames as the agents framework hands them over (one frame or a list). */
export type AudioInput = AudioFrame | AudioFrame[];

/** Refuses audio a 16 kHz speech model cannot use. */
export function checkFormat(sampleRate: number, channels: number, targetRate: number): void {
  if (channels !== 1) {
    throw new ArcError('unsupported_audio', `${channels}-channel audio: the recogniser needs mono (mix down first)`, {
      details: { channels },
    });
  }
  if (sampleRate < targetRate) {
    throw new ArcError(
      'unsupported_audio',
      `${sampleRate} Hz audio: the recogniser needs at least ${targetRate} Hz (narrow-band audio lacks what the model listens to)`,
      { details: { sampleRate, required: targetRate } },
    );
  }
}

/** Mono samples at `targetRate` from agents frames. */
export function framesToPcm(input: AudioInput, targetRate: number): Int16Array {
  const frames = Array.isArray(input) ? input : [input];
  if (frames.length === 0) return new Int16Array(0);
  const first = frames[0] as AudioFrame;
  for (const f of frames) {
    checkFormat(f.sampleRate, f.channels, targetRate);
    if (f.sampleRate !== first.sampleRate) {
      throw new ArcError('unsupported_audio', `frames mix ${first.sampleRate} Hz and ${f.sampleRate} Hz`);
    }
  }
  return resample(concatPcm(frames.map((f) => f.data)), first.sampleRate, targetRate);
}

/** Mono samples at `targetRate` from a WAV file (truncated, stereo, narrow-band: `unsupported_audio`). */
export function wavToPcm(bytes: Uint8Array, targetRate: number): Int16Array {
  const wav = readWav(bytes);
  checkFormat(wav.sampleRate, wav.channels, targetRate);
  return resample(wav.samples, wav.sampleRate, targetRate);
}
