// Piper: loading, phonemisation and id mapping on a tiny ONNX graph with Piper's exact signature (built here),
// and the full voice where PIPER_MODEL names one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PiperEngine } from '../../lib/engines/tts/piper/engine.js';
import { phonemesToIds, phonemize } from '../../lib/engines/tts/piper/phonemes.js';
import type { SynthesisEvent } from '../../lib/engines/tts/types.js';
import { tinyPiperModel } from './helpers/tiny-onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'arc-piper-'));
// Ids as a real en-us voice config would list them (subset), with the specials at Piper's usual ids.
const PHONEME_IDS: Record<string, number[]> = {
  _: [0],
  '^': [1],
  $: [2],
  ' ': [3],
  '.': [10],
  ',': [8],
  '!': [4],
  h: [20],
  ə: [59],
  l: [24],
  ˈ: [120],
  o: [27],
  ʊ: [100],
  w: [35],
  ɜ: [62],
  ː: [122],
  d: [17],
};

function writeVoice(name: string, withSid: boolean, extra: object = {}): string {
  const model = join(dir, `${name}.onnx`);
  writeFileSync(model, tinyPiperModel(withSid));
  const config = {
    audio: { sample_rate: 22050 },
    espeak: { voice: 'en-us' },
    phoneme_type: 'espeak',
    inference: { noise_scale: 0.667, length_scale: 1, noise_w: 0.8 },
    num_speakers: withSid ? 3 : 1,
    speaker_id_map: withSid ? { alice: 0, bob: 2 } : {},
    phoneme_id_map: PHONEME_IDS,
    ...extra,
  };
  writeFileSync(`${model}.json`, JSON.stringify(config));
  return model;
}

let single: PiperEngine;
let multi: PiperEngine;

beforeAll(async () => {
  single = await PiperEngine.create({ modelPath: writeVoice('en_US-tiny-low', false) });
  multi = await PiperEngine.create({ modelPath: writeVoice('en_US-tiny-multi', true) });
});

afterAll(async () => {
  await single?.close();
  await multi?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Piper phonemisation and ids', () => {
  it('phonemises with espeak-ng (WASM) into IPA code points, keeping clause punctuation', async () => {
    expect(await phonemize('Hello world.', 'en-us')).toEqual([...'həlˈoʊ wˈɜːld.']);
    expect((await phonemize('Okay, so, go!', 'en-us')).join('')).toBe('oʊkˈeɪ, sˈoʊ, ɡˈoʊ!');
  });

  it('maps phonemes to ids as piper-phonemize does: BOS, PAD, each phoneme then PAD, EOS', async () => {
    const ids = await single.phonemeIds('Hello world.');
    // h ə l ˈ o ʊ ␠ w ˈ ɜ ː l d .
    const body = [20, 59, 24, 120, 27, 100, 3, 35, 120, 62, 122, 24, 17, 10];
    expect(ids).toEqual([1, 0, ...body.flatMap((id) => [id, 0]), 2]);
  });

  it('skips phonemes the voice has no id for, and counts them', () => {
    const map = new Map(Object.entries(PHONEME_IDS));
    const { ids, missing } = phonemesToIds(['h', 'ʒ', 'ə', 'ʒ'], map);
    expect(ids).toEqual([1, 0, 20, 0, 59, 0, 2]);
    expect(missing.get('ʒ')).toBe(2);
  });
});

describe('Piper model', () => {
  it('loads a model with Piper signature and its config: rate, voices and speakers', () => {
    expect(single.sampleRateOf()).toBe(22050);
    expect(single.voices()).toEqual(['en_US-tiny-low']);
    expect(multi.voices()).toEqual(['en_US-tiny-multi', 'alice', 'bob']);
    expect(() => single.sampleRateOf('nobody')).toThrow(expect.objectContaining({ code: 'unknown_voice' }));
  });

  it('feeds input, input_lengths, scales and sid as Piper does', async () => {
    const out = await multi.infer([1, 5, 7], { noiseScale: 0.5, lengthScale: 2, noiseW: 0.8, speakerId: 2 });
    expect([...out]).toEqual([4, 12, 16]); // ids × length_scale + sid (2)
    const plain = await single.infer([1, 5, 7], { noiseScale: 0.667, lengthScale: 1.5, noiseW: 0.8 });
    expect([...plain]).toEqual([1.5, 7.5, 10.5]);
  });

  it('synthesises sentence by sentence: each sentence’s audio is handed out before the next is inferred', async () => {
    const events: string[] = [];
    const onEvent = (e: SynthesisEvent) => events.push(`${e.type}:${e.index}`);
    const sizes = new Map<number, number>();
    for await (const c of single.synthesize('Hello world. Hello. Hello world!', {
      onEvent,
      trimLeadingSilence: false,
    })) {
      if (!sizes.has(c.sentence)) events.push(`chunk:${c.sentence}`);
      sizes.set(c.sentence, (sizes.get(c.sentence) ?? 0) + c.samples.length);
      expect(c.sampleRate).toBe(22050);
    }
    expect(events.indexOf('chunk:0')).toBeLessThan(events.indexOf('sentence_start:2'));
    // The tiny model outputs one sample per id; a sentence end adds 200 ms of silence.
    const silence = 0.2 * 22050;
    expect(sizes.get(0)).toBe((await single.phonemeIds('Hello world.')).length + silence);
    expect(sizes.get(1)).toBe((await single.phonemeIds('Hello.')).length + silence);
  });

  it('honours speaker id (by number or speaker name) and refuses one out of range', async () => {
    const collect = async (opts: object) => {
      const parts: number[] = [];
      for await (const c of multi.synthesize('Hello world.', { ...opts, trimLeadingSilence: false }))
        parts.push(...c.samples);
      return parts;
    };
    const alice = await collect({ voice: 'alice' });
    const bob = await collect({ voice: 'bob' });
    expect(await collect({ speakerId: 2 })).toEqual(bob);
    expect(alice).not.toEqual(bob);
    expect(() => multi.synthesize('Hello.', { speakerId: 7 })).toThrow(/speakerId 7 is out of range/);
  });

  it('refuses a file that is not a Piper voice, and a config that is not valid', async () => {
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model');
    writeFileSync(`${junk}.json`, JSON.stringify({ audio: { sample_rate: 22050 }, phoneme_id_map: PHONEME_IDS }));
    await expect(PiperEngine.create({ modelPath: junk })).rejects.toMatchObject({ code: 'invalid_request' });
    const noMap = writeVoice('broken', false, { phoneme_id_map: { a: [1] } });
    await expect(PiperEngine.create({ modelPath: noMap })).rejects.toThrow(/phoneme_id_map lacks "_"/);
  });
});

const realModel = process.env.PIPER_MODEL;
describe.skipIf(!realModel)('Piper full voice (PIPER_MODEL)', () => {
  it('speaks a sentence at the voice rate with audible, non-clipped audio', async () => {
    const engine = await PiperEngine.create({ modelPath: realModel as string });
    try {
      await engine.warm();
      let n = 0;
      for await (const c of engine.synthesize('The quick brown fox jumps over the lazy dog.')) n += c.samples.length;
      expect(n / engine.sampleRateOf()).toBeGreaterThan(1);
    } finally {
      await engine.close();
    }
  });
});
if (!realModel) console.warn('piper_model: PIPER_MODEL not set — the full-voice test is skipped');
