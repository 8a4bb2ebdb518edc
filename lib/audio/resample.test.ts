import { describe, expect, it } from 'vitest';
import { rmsDbfs } from './level.js';
import { Resampler, resample } from './resample.js';

function tone(hz: number, rate: number, seconds: number, amplitude = 0.5): Int16Array {
  const n = Math.round(rate * seconds);
  return Int16Array.from({ length: n }, (_, i) =>
    Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}

/** Frequency estimated from upward zero crossings over the middle of the signal. */
function frequency(samples: Int16Array, rate: number): number {
  const from = Math.floor(samples.length * 0.1);
  const to = Math.floor(samples.length * 0.9);
  let crossings = 0;
  for (let i = from + 1; i < to; i++) if ((samples[i - 1] as number) < 0 && (samples[i] as number) >= 0) crossings++;
  return (crossings * rate) / (to - from);
}

const middle = (s: Int16Array) => s.subarray(Math.floor(s.length * 0.1), Math.floor(s.length * 0.9));

describe('Resampler', () => {
  it.each([
    [22050, 16000],
    [16000, 48000],
    [48000, 16000],
    [44100, 22050],
    [8000, 24000],
  ])('%i → %i Hz keeps a 440 Hz tone: length, pitch and level', (from, to) => {
    const input = tone(440, from, 1);
    const out = resample(input, from, to);
    expect(out.length).toBe(Math.ceil((input.length * to) / from));
    expect(frequency(out, to)).toBeCloseTo(440, -1);
    expect(Math.abs(rmsDbfs(middle(out)) - rmsDbfs(middle(input)))).toBeLessThan(0.3);
  });

  it('filters out what the lower rate cannot carry instead of aliasing it (sample dropping would not)', () => {
    // 7 kHz is above the 4 kHz Nyquist of 8 kHz output: dropping samples would fold it to 1 kHz at full level.
    const out = resample(tone(7000, 48000, 1), 48000, 8000);
    expect(rmsDbfs(middle(out))).toBeLessThan(rmsDbfs(tone(7000, 48000, 1)) - 50);
  });

  it('gives the same samples pushed in odd-sized pieces as resampled whole', () => {
    const input = tone(1000, 22050, 0.5);
    const whole = resample(input, 22050, 16000);
    const r = new Resampler(22050, 16000);
    const parts: number[] = [];
    for (let at = 0, step = 1; at < input.length; at += step, step = (step * 7 + 3) % 997) {
      parts.push(...r.push(input.subarray(at, at + step)));
    }
    parts.push(...r.flush());
    expect(Int16Array.from(parts)).toEqual(whole);
  });

  it('is time-aligned: an impulse stays where it was', () => {
    const input = new Int16Array(16000);
    input[8000] = 30000;
    const out = resample(input, 16000, 48000);
    const peak = out.indexOf(Math.max(...out));
    expect(peak).toBe(24000);
  });

  it('passes audio through unchanged when the rates are equal, and refuses bad rates', () => {
    const input = tone(300, 16000, 0.1);
    expect(resample(input, 16000, 16000)).toBe(input);
    expect(() => new Resampler(0, 16000)).toThrow(RangeError);
    expect(() => new Resampler(16000, 22050.5)).toThrow(RangeError);
  });
});
