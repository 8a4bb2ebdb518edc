import { describe, expect, it } from 'vitest';
import { FrameChunker, frameSamples, toFrames } from './frames.js';
import {
  durationMs,
  firstAudibleSample,
  LeadingSilenceTrimmer,
  lastAudibleSample,
  peakDbfs,
  rmsDbfs,
} from './level.js';
import { concatPcm, floatToPcm, pcmFromBytes, pcmToBytes, splitPcm } from './pcm.js';

describe('20 ms framing', () => {
  it('re-cuts arbitrary pieces into exact frames and pads the last', () => {
    const c = new FrameChunker(16000);
    expect(c.size).toBe(320);
    const input = Int16Array.from({ length: 1000 }, (_, i) => i);
    const frames = [...c.push(input.subarray(0, 333)), ...c.push(input.subarray(333))];
    expect(frames).toHaveLength(3);
    expect(frames[1]?.[0]).toBe(320);
    const last = c.flush();
    expect(last?.length).toBe(320);
    expect(last?.[39]).toBe(999);
    expect(last?.[40]).toBe(0);
    expect(c.flush()).toBeUndefined();
    expect(toFrames(input, 16000)).toHaveLength(4);
  });

  it('knows frame sizes and refuses rates that do not divide into 20 ms', () => {
    expect(frameSamples(22050, 20)).toBe(441);
    expect(frameSamples(48000)).toBe(960);
    expect(() => frameSamples(11025, 20)).toThrow(/not a whole number/);
  });
});

describe('levels and silence', () => {
  const silence = new Int16Array(1600);
  const loud = Int16Array.from({ length: 1600 }, (_, i) => (i % 2 ? 16384 : -16384));

  it('measures RMS, peak and duration', () => {
    expect(rmsDbfs(loud)).toBeCloseTo(-6.02, 1);
    expect(peakDbfs(loud)).toBeCloseTo(-6.02, 1);
    expect(rmsDbfs(silence)).toBe(Number.NEGATIVE_INFINITY);
    expect(durationMs(22050, 22050)).toBe(1000);
  });

  it('finds where sound starts and ends, and trims only the leading silence of a stream', () => {
    const signal = concatPcm([silence, loud, silence]);
    expect(firstAudibleSample(signal, 16000)).toBe(1600);
    expect(lastAudibleSample(signal, 16000)).toBe(3200);
    expect(firstAudibleSample(silence, 16000)).toBe(-1);
    const trim = new LeadingSilenceTrimmer(16000, { padMs: 5 });
    expect(trim.push(silence)).toHaveLength(0);
    const first = trim.push(concatPcm([silence.subarray(0, 800), loud]));
    expect(first.length).toBe(1600 + 80);
    expect(trim.push(silence)).toHaveLength(1600); // pauses after the onset stay
  });
});

describe('PCM bytes', () => {
  it('converts between bytes, samples and floats, even from odd offsets', () => {
    const s = Int16Array.from([1, -2, 32767, -32768]);
    const bytes = pcmToBytes(s);
    expect(bytes.byteLength).toBe(8);
    const odd = new Uint8Array(9);
    odd.set(bytes, 1);
    expect(pcmFromBytes(odd.subarray(1))).toEqual(s);
    expect(floatToPcm(Float32Array.from([0, 1, -1, 2, 0.5]))).toEqual(
      Int16Array.from([0, 32767, -32767, 32767, 16384]),
    );
    expect(splitPcm(new Int16Array(10), 4).map((p) => p.length)).toEqual([4, 4, 2]);
  });
});
