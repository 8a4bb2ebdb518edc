// LevelEndVAD on real Silero and real synthesised speech: speech ends by level 200 ms after the last voiced
// frame (Silero alone lags), the model's lagging tail is not reported as speech, and a resumed voice reopens.
import { initializeLogger, type VADEvent, VADEventType } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { AudioFrame } from '@livekit/rtc-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { FrameChunker, lastAudibleSample } from '../../lib/audio/index.js';
import { LevelEndVAD } from '../../lib/engines/vad/level-end.js';
import { sleep } from '../../lib/util/abort.js';
import { fliteReference } from './helpers/speech.js';

const RATE = 16000;
let model: Awaited<ReturnType<typeof silero.VAD.load>>;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'error' });
  model = await silero.VAD.load({ minSilenceDuration: 550, minSpeechDuration: 50 });
});

/** Feeds samples in 20 ms frames at real-time pace; returns the wall time of the frame holding `mark`. */
async function feed(push: (f: AudioFrame) => void, samples: Int16Array, mark: number): Promise<number> {
  const chunker = new FrameChunker(RATE, 20);
  const frames = chunker.push(samples);
  const t0 = performance.now();
  let markAt = 0;
  for (let i = 0; i < frames.length; i++) {
    const wait = t0 + i * 20 - performance.now();
    if (wait > 1) await sleep(wait);
    push(new AudioFrame(frames[i] as Int16Array, RATE, 1, 320));
    if (i === Math.floor(mark / 320)) markAt = Date.now();
  }
  return markAt;
}

function utterance(text: string, silenceMs: number): { samples: Int16Array; voicedEnd: number } {
  const wav = fliteReference(text);
  const voicedEnd = lastAudibleSample(wav.samples, RATE);
  const samples = new Int16Array(voicedEnd + (RATE * silenceMs) / 1000);
  samples.set(wav.samples.subarray(0, voicedEnd));
  return { samples, voicedEnd };
}

async function collect(
  vad: { stream(): AsyncIterable<VADEvent> & { pushFrame(f: AudioFrame): void; close(): void } },
  samples: Int16Array,
  mark: number,
) {
  const stream = vad.stream();
  const events: (VADEvent & { at: number })[] = [];
  const reading = (async () => {
    for await (const ev of stream) events.push({ ...ev, at: Date.now() });
  })();
  const markAt = await feed((f) => stream.pushFrame(f), samples, mark);
  await sleep(100);
  stream.close();
  await reading.catch(() => {});
  return { events, markAt };
}

describe('LevelEndVAD', () => {
  it('ends speech ~200 ms after the last voiced frame, before Silero alone does, with the silence it measured', async () => {
    const { samples, voicedEnd } = utterance('what is the weather like today', 900);
    const fast = await collect(new LevelEndVAD(model, { endSilenceMs: 200 }), samples, voicedEnd);
    const plain = await collect(model, samples, voicedEnd);
    const end = (r: typeof fast) => r.events.find((e) => e.type === VADEventType.END_OF_SPEECH);
    const fastEnd = end(fast);
    const plainEnd = end(plain);
    expect(fastEnd, 'level end').toBeDefined();
    expect(plainEnd, 'silero end').toBeDefined();
    const fastDelay = (fastEnd?.at ?? 0) - fast.markAt;
    const plainDelay = (plainEnd?.at ?? 0) - plain.markAt;
    expect(fastDelay).toBeGreaterThanOrEqual(180);
    expect(fastDelay).toBeLessThan(plainDelay);
    expect(fastEnd?.silenceDuration).toBeGreaterThanOrEqual(200);
    // Exactly one start and one end: the model's own late end was swallowed.
    expect(fast.events.filter((e) => e.type === VADEventType.START_OF_SPEECH)).toHaveLength(1);
    expect(fast.events.filter((e) => e.type === VADEventType.END_OF_SPEECH)).toHaveLength(1);
    // After the level end, the model's tail is reported as silence (no speech counted toward a barge-in).
    const tail = fast.events.filter((e) => e.type === VADEventType.INFERENCE_DONE && e.at > (fastEnd?.at ?? 0));
    expect(tail.every((e) => !e.speaking && e.speechDuration === 0)).toBe(true);
  }, 30_000);

  it('reopens speech when the voice comes back before the model noticed the pause', async () => {
    const a = utterance('book a table for', 260);
    const b = utterance('two people', 900);
    const samples = new Int16Array(a.samples.length + b.samples.length);
    samples.set(a.samples);
    samples.set(b.samples, a.samples.length);
    const r = await collect(new LevelEndVAD(model, { endSilenceMs: 200 }), samples, a.voicedEnd);
    const kinds = r.events.filter((e) => e.type !== VADEventType.INFERENCE_DONE).map((e) => e.type);
    // Starts and ends alternate (flite may pause inside a phrase too), and the pause between the two parts
    // ended speech and then reopened it: at least two segments.
    expect(kinds.length % 2).toBe(0);
    expect(kinds.length).toBeGreaterThanOrEqual(4);
    for (const [i, k] of kinds.entries())
      expect(k).toBe(i % 2 === 0 ? VADEventType.START_OF_SPEECH : VADEventType.END_OF_SPEECH);
    const ends = r.events.filter((e) => e.type === VADEventType.END_OF_SPEECH);
    expect(ends.some((e) => e.at >= r.markAt + 180 && e.at <= r.markAt + 300)).toBe(true);
  }, 30_000);
});
