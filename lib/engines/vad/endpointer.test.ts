import { describe, expect, it } from 'vitest';
import { EnergyEndpointer } from './endpointer.js';

const tone = (amp: number) => Int16Array.from({ length: 320 }, (_, i) => Math.round(amp * Math.sin(i / 3)));

describe('EnergyEndpointer', () => {
  it('dates the last voiced frame and counts the quiet after it', () => {
    const ep = new EnergyEndpointer();
    expect(ep.silentFor(1_000)).toBe(0);
    expect(ep.push(tone(8_000), 1_000)).toBe(true);
    expect(ep.push(tone(8_000), 1_020)).toBe(true);
    expect(ep.push(new Int16Array(320), 1_040)).toBe(false);
    expect(ep.lastVoicedAt).toBe(1_020);
    expect(ep.silentFor(1_240)).toBe(220);
  });

  it('rides on the noise floor: steady noise is not voice, speech above it is', () => {
    const ep = new EnergyEndpointer();
    for (let t = 0; t < 1_000; t += 20) ep.push(tone(300), t); // ~ -43 dBFS of hum
    expect(ep.push(tone(300), 1_000)).toBe(false);
    expect(ep.push(tone(6_000), 1_020)).toBe(true);
    expect(ep.threshold()).toBeGreaterThan(-45);
  });
});
