// The system TTS engines (flite, espeak-ng) as real child processes: streaming order, rates and durations,
// leading-silence trim, cancellation, bad input, 100 KB texts, and no process left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstAudibleSample } from '../../lib/audio/level.js';
import { concatPcm } from '../../lib/audio/pcm.js';
import { liveChildren } from '../../lib/audio/process.js';
import { EspeakEngine } from '../../lib/engines/tts/espeak.js';
import { FliteEngine } from '../../lib/engines/tts/flite.js';
import type { SynthesisEvent, SynthesizeOptions, TtsChunk, TtsEngine } from '../../lib/engines/tts/types.js';
import { expectNoEngineProcesses, fliteReferenceBySox, isRunning } from './helpers/speech.js';

const FOUR = 'Sure. The weather today is sunny and warm. You might want a hat. Have a lovely afternoon!';

async function collect(chunks: AsyncIterable<TtsChunk>): Promise<TtsChunk[]> {
  const out: TtsChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

const engines: Record<string, () => Promise<TtsEngine>> = {
  flite: () => FliteEngine.create(),
  'espeak-ng': () => EspeakEngine.create({ poolSize: 0 }), // no idle processes: every live one is synthesising
};

describe.each(Object.keys(engines))('%s', (name) => {
  let engine: TtsEngine;
  beforeAll(async () => {
    engine = await (engines[name] as () => Promise<TtsEngine>)();
    await engine.warm();
  });
  afterAll(async () => {
    await engine?.close();
    await expectNoEngineProcesses();
  });

  it('streams: the first chunk arrives before synthesis of the last sentence has begun', async () => {
    const order: string[] = [];
    const seen = new Set<number>();
    const onEvent = (e: SynthesisEvent) => order.push(`${e.type}:${e.index}`);
    for await (const c of engine.synthesize(FOUR, { onEvent })) {
      if (!seen.has(c.sentence)) order.push(`chunk:${c.sentence}`);
      seen.add(c.sentence);
    }
    expect(order.filter((e) => e.startsWith('sentence_start'))).toHaveLength(4);
    expect(order.indexOf('chunk:0')).toBeGreaterThan(-1);
    expect(order.indexOf('chunk:0')).toBeLessThan(order.indexOf('sentence_start:3'));
    // Never more than one sentence ahead of the listener.
    expect(order.indexOf('sentence_start:2')).toBeGreaterThan(order.indexOf('chunk:1'));
  });

  it('resamples to the requested rate without changing the duration; chunks are ≤ 200 ms', async () => {
    const opts: SynthesizeOptions = { trimLeadingSilence: false };
    const native = await collect(engine.synthesize('Hello there, nice to meet you.', opts));
    const at48k = await collect(engine.synthesize('Hello there, nice to meet you.', { ...opts, sampleRate: 48000 }));
    const nativeRate = engine.sampleRateOf();
    expect(native.every((c) => c.sampleRate === nativeRate)).toBe(true);
    expect(at48k.every((c) => c.sampleRate === 48000 && c.samples.length <= 9600)).toBe(true);
    const seconds = (cs: TtsChunk[], rate: number) => cs.reduce((n, c) => n + c.samples.length, 0) / rate;
    expect(seconds(at48k, 48000)).toBeCloseTo(seconds(native, nativeRate), 3);
    expect(seconds(native, nativeRate)).toBeGreaterThan(1);
  });

  it('cancel mid-stream: at most one more chunk, and the synthesising process is killed', async () => {
    const controller = new AbortController();
    const text = Array.from({ length: 12 }, (_, i) => `This is sentence number ${i + 1} of a long answer.`).join(' ');
    let after = 0;
    let killedPids: number[] = [];
    let started = 0;
    const onEvent = (e: SynthesisEvent) => {
      if (e.type === 'sentence_start') started++;
    };
    for await (const _ of engine.synthesize(text, { signal: controller.signal, onEvent })) {
      if (controller.signal.aborted) after++;
      else if (started >= 2) {
        killedPids = liveChildren();
        controller.abort();
      }
    }
    expect(after).toBeLessThanOrEqual(1);
    expect(started).toBeLessThanOrEqual(3);
    for (const pid of killedPids) expect(isRunning(pid)).toBe(false);
    expect(liveChildren()).toEqual([]);
  });

  it('refuses empty, unspeakable and unknown-voice requests with typed errors', async () => {
    // Checked when the call is made, before any process starts or any chunk could be sent.
    for (const text of ['', '   \n\t', '😀 ☃ ✓ ♫', '\u0000\u0007']) {
      expect(() => engine.synthesize(text)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
    expect(() => engine.synthesize('Hello.', { voice: 'no-such-voice' })).toThrow(
      expect.objectContaining({ code: 'unknown_voice', message: expect.stringContaining(engine.defaultVoice) }),
    );
  });

  it('speaks around characters it cannot say', async () => {
    const chunks = await collect(engine.synthesize('Hello 😀 world \u0007 ✓ again.'));
    expect(concatPcm(chunks.map((c) => c.samples)).length / engine.sampleRateOf()).toBeGreaterThan(0.5);
  });

  it('a 100 KB text streams with synthesis bounded to one sentence ahead of the listener', async () => {
    const sentence = 'The quick brown fox jumps over the lazy dog near the river bank. ';
    const text = sentence.repeat(Math.ceil(100_000 / sentence.length));
    expect(text.length).toBeGreaterThanOrEqual(100_000);
    const controller = new AbortController();
    let started = 0;
    let maxAhead = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    const onEvent = (e: SynthesisEvent) => {
      if (e.type === 'sentence_start') started++;
    };
    for await (const c of engine.synthesize(text, { signal: controller.signal, onEvent })) {
      maxAhead = Math.max(maxAhead, started - (c.sentence + 1));
      if (c.sentence >= 8) controller.abort();
    }
    expect(maxAhead).toBeLessThanOrEqual(1);
    expect(started).toBeLessThanOrEqual(10);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('flite specifics', () => {
  let flite: FliteEngine;
  beforeAll(async () => {
    flite = await FliteEngine.create();
  });

  it('produces exactly the samples the flite CLI produces for a sentence (nothing lost or added)', async () => {
    const ours = await collect(flite.synthesize('Hello there.', { voice: 'kal16', trimLeadingSilence: false }));
    expect(concatPcm(ours.map((c) => c.samples))).toEqual(fliteReferenceBySox('Hello there.', 'kal16'));
  });

  it('trims the ~180 ms of silence slt opens with, unless asked not to', async () => {
    const trimmed = concatPcm((await collect(flite.synthesize('Okay.'))).map((c) => c.samples));
    const raw = concatPcm(
      (await collect(flite.synthesize('Okay.', { trimLeadingSilence: false }))).map((c) => c.samples),
    );
    expect(firstAudibleSample(raw, 16000) / 16).toBeGreaterThan(100);
    expect(firstAudibleSample(trimmed, 16000) / 16).toBeLessThanOrEqual(40); // the 30 ms kept before the onset
    expect(raw.length - trimmed.length).toBeGreaterThan(1600);
  });

  it('honours the length scale (slower speech is longer)', async () => {
    const len = async (lengthScale: number) =>
      (await collect(flite.synthesize('This sentence is spoken at two speeds.', { lengthScale }))).reduce(
        (n, c) => n + c.samples.length,
        0,
      );
    expect(await len(1.5)).toBeGreaterThan((await len(1)) * 1.3);
  });
});
