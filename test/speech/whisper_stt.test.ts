// Whisper (whisper.cpp binding): the native addon loads here and refuses a bad model with a typed error; the
// transcription itself runs only where WHISPER_MODEL names a ggml model (none can be downloaded here).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeLogger } from '@livekit/agents';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatPcm } from '../../lib/audio/pcm.js';
import { loadWhisperBinding, WhisperSTT } from '../../lib/engines/stt/whisper.js';
import { wordErrorRate } from '../../lib/text/wer.js';
import { fliteReferenceBySox, SENTENCES } from './helpers/speech.js';

beforeAll(() => {
  initializeLogger({ pretty: false, level: 'warn' });
});

describe('Whisper binding', () => {
  it('loads the prebuilt whisper.cpp addon for this platform', () => {
    expect(typeof loadWhisperBinding().WhisperContext).toBe('function');
  });

  it('refuses a file that is not a ggml model with invalid_request, and a missing binding with unavailable', async () => {
    const junk = join(tmpdir(), `arc-junk-${process.pid}.bin`);
    writeFileSync(junk, 'not a model');
    await expect(WhisperSTT.create({ modelPath: junk })).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/Whisper model .* cannot be loaded/),
    });
    expect(() => loadWhisperBinding('@fugood/no-such-binding')).toThrow(
      expect.objectContaining({ code: 'unavailable' }),
    );
  });
});

const model = process.env.WHISPER_MODEL;
describe.skipIf(!model)('Whisper transcription (WHISPER_MODEL)', () => {
  it('transcribes flite speech with a low word error rate', async () => {
    const engine = await WhisperSTT.create({ modelPath: model as string });
    try {
      const pairs = [];
      for (const ref of SENTENCES.slice(0, 5)) {
        const audio = concatPcm([new Int16Array(8000), fliteReferenceBySox(ref, 'kal16'), new Int16Array(8000)]);
        pairs.push({ ref, hyp: await engine.transcribe(audio) });
      }
      const { wer } = wordErrorRate(pairs);
      process.stdout.write(`whisper WER ${(wer * 100).toFixed(1)} %\n`);
      expect(wer).toBeLessThan(0.15);
    } finally {
      await engine.close();
    }
  });
});
if (!model) console.warn('whisper_stt: WHISPER_MODEL not set — transcription with a real model is skipped');
