// Round trip on real audio: text → flite TTS (at 48 kHz, as a WebRTC path plays it) → resampled to 16 kHz →
// PocketSphinx → words. The word error rate over ten fixed sentences is printed and bounded.
import { initializeLogger } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm } from '../../lib/audio/pcm.js';
import { resample } from '../../lib/audio/resample.js';
import { PocketSphinxSTT } from '../../lib/engines/stt/pocketsphinx/stt.js';
import { FliteEngine } from '../../lib/engines/tts/flite.js';
import { wordErrorRate } from '../../lib/text/wer.js';
import { expectNoEngineProcesses, SENTENCES } from './helpers/speech.js';

/**
 * Agreed bounds. Measured here, second pass off (the latency default): kal16 ≈ 7 %; slt ≈ 17 % with the
 * in-process decoder (its noise normalisation carries over between utterances), ≈ 23 % with a fresh process.
 * A broken resampler or a wrong rate gives 80–100 %.
 */
const WER_BOUND = { kal16: 0.15, slt: 0.35 };

let tts: FliteEngine;
let sttEngine: PocketSphinxSTT;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  tts = await FliteEngine.create();
  sttEngine = await PocketSphinxSTT.create({ poolSize: 2 });
});

afterAll(async () => {
  await sttEngine?.close();
  await tts?.close();
  await expectNoEngineProcesses();
});

/** An utterance as a microphone hears it: speech with half a second of room silence on either side. */
async function speak(text: string, voice: string): Promise<Int16Array> {
  const pause = new Int16Array(24000);
  const parts: Int16Array[] = [pause];
  for await (const c of tts.synthesize(text, { voice, sampleRate: 48000 })) parts.push(c.samples);
  parts.push(pause);
  return concatPcm(parts);
}

describe.each(Object.keys(WER_BOUND) as (keyof typeof WER_BOUND)[])('flite %s → PocketSphinx', (voice) => {
  it(`recognises ten sentences with WER under ${WER_BOUND[voice] * 100} %`, async () => {
    const pairs: { ref: string; hyp: string }[] = [];
    // Two at a time: one per core, each on its own pre-started decoder.
    for (let i = 0; i < SENTENCES.length; i += 2) {
      const batch = SENTENCES.slice(i, i + 2);
      const hyps = await Promise.all(
        batch.map(async (ref) => sttEngine.transcribe(resample(await speak(ref, voice), 48000, 16000))),
      );
      for (const [j, ref] of batch.entries()) pairs.push({ ref, hyp: hyps[j] as string });
    }
    const { errors, words, wer } = wordErrorRate(pairs);
    process.stdout.write(
      `round trip flite ${voice} 48 kHz → 16 kHz → PocketSphinx: WER ${(wer * 100).toFixed(1)} % (${errors}/${words} words)\n` +
        `${pairs.map((p) => `  ${p.ref}  →  ${p.hyp}`).join('\n')}\n`,
    );
    expect(wer).toBeLessThan(WER_BOUND[voice]);
  });
});

it('recognises through the agents-js API (recognize() with 48 kHz AudioFrames)', async () => {
  const samples = await speak('set a timer for ten minutes', 'kal16');
  const frames = [new AudioFrame(samples, 48000, 1, samples.length)];
  const event = await sttEngine.recognize(frames);
  const text = event.alternatives?.[0]?.text ?? '';
  expect(wordErrorRate([{ ref: 'set a timer for ten minutes', hyp: text }]).wer).toBeLessThanOrEqual(0.34);
});
