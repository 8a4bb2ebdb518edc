// Audio a 16 kHz recogniser cannot use gets a clear `unsupported_audio` error, on every entry point, and the
// recogniser goes on working; nothing crashes and no decoder process is left behind.
import { initializeLogger } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm } from '../../lib/audio/pcm.js';
import { resample } from '../../lib/audio/resample.js';
import { encodeWav } from '../../lib/audio/wav.js';
import { PocketSphinxSTT } from '../../lib/engines/stt/pocketsphinx/stt.js';
import { expectNoEngineProcesses, fliteReferenceBySox } from './helpers/speech.js';

let engine: PocketSphinxSTT;
let speech: Int16Array;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  engine = await PocketSphinxSTT.create({ poolSize: 1 });
  speech = concatPcm([
    new Int16Array(4000),
    fliteReferenceBySox('set a timer for ten minutes', 'kal16'),
    new Int16Array(4000),
  ]);
});

afterAll(async () => {
  await engine?.close();
  await expectNoEngineProcesses();
});

const unsupported = (message: RegExp) =>
  expect.objectContaining({ code: 'unsupported_audio', message: expect.stringMatching(message) });

describe('bad audio into STT', () => {
  it('8 kHz WAV → unsupported_audio naming the rate', async () => {
    const wav = encodeWav(resample(speech, 16000, 8000), 8000);
    await expect(engine.transcribeWav(wav)).rejects.toEqual(
      unsupported(/8000 Hz audio: the recogniser needs at least 16000 Hz/),
    );
  });

  it('stereo WAV → unsupported_audio asking for mono', async () => {
    const stereo = new Int16Array(speech.length * 2);
    speech.forEach((v, i) => {
      stereo[2 * i] = v;
      stereo[2 * i + 1] = v;
    });
    await expect(engine.transcribeWav(encodeWav(stereo, 16000, 2))).rejects.toEqual(
      unsupported(/2-channel audio.*mono/),
    );
  });

  it('truncated WAV → unsupported_audio saying how much is missing', async () => {
    const wav = encodeWav(speech, 16000);
    await expect(engine.transcribeWav(wav.subarray(0, wav.length / 2))).rejects.toEqual(
      unsupported(/truncated WAV: header declares/),
    );
    await expect(engine.transcribeWav(wav.subarray(0, 20))).rejects.toEqual(unsupported(/truncated WAV/));
  });

  it('not a WAV at all → unsupported_audio', async () => {
    await expect(engine.transcribeWav(new TextEncoder().encode('ID3 this is an mp3, honest'))).rejects.toEqual(
      unsupported(/not a WAV/),
    );
  });

  it('8 kHz or stereo frames into recognize() and into a stream → unsupported_audio', async () => {
    const narrow = resample(speech, 16000, 8000);
    await expect(engine.recognize([new AudioFrame(narrow, 8000, 1, narrow.length)])).rejects.toEqual(
      unsupported(/8000 Hz/),
    );
    const stream = engine.stream();
    expect(() => stream.pushFrame(new AudioFrame(narrow.subarray(0, 160), 8000, 1, 160))).toThrow(
      unsupported(/8000 Hz/),
    );
    expect(() => stream.pushFrame(new AudioFrame(new Int16Array(640), 16000, 2, 320))).toThrow(
      unsupported(/2-channel/),
    );
    stream.close();
  });

  it('empty or silent audio gives an empty transcript, not an error', async () => {
    expect(await engine.transcribe(new Int16Array(0))).toBe('');
    expect(await engine.transcribe(new Int16Array(16000))).toBe('');
  });

  it('still recognises good audio afterwards', async () => {
    expect(await engine.transcribeWav(encodeWav(speech, 16000))).toMatch(/timer for ten minutes/);
  });

  it('an aborted transcription kills its decoder and rejects with the abort', async () => {
    const controller = new AbortController();
    const pending = engine.transcribe(concatPcm([speech, speech, speech, speech]), controller.signal);
    controller.abort(new Error('barge-in'));
    await expect(pending).rejects.toThrow('barge-in');
    const killed = await engine.transcribe(speech, AbortSignal.abort(new Error('already cancelled'))).catch((e) => e);
    expect(killed.message).toBe('already cancelled');
  });
});
