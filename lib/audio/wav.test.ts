import { describe, expect, it } from 'vitest';
import { ArcError } from '../protocol/errors.js';
import { encodeWav, parseWavHeader, readWav, WavStreamReader } from './wav.js';

const samples = Int16Array.from({ length: 1000 }, (_, i) => (i * 37) % 30000);

describe('WAV', () => {
  it('round-trips samples, rate and channels', () => {
    const wav = readWav(encodeWav(samples, 22050));
    expect(wav.sampleRate).toBe(22050);
    expect(wav.channels).toBe(1);
    expect(wav.samples).toEqual(samples);
    const stereo = readWav(encodeWav(samples, 16000, 2));
    expect(stereo.channels).toBe(2);
  });

  it('reads Node Buffers, which may be views into a shared pool at odd offsets', () => {
    const file = Buffer.from(encodeWav(samples, 16000));
    const pooled = Buffer.concat([Buffer.from([1, 2, 3]), file]).subarray(3);
    expect(readWav(pooled).samples).toEqual(samples);
    const reader = new WavStreamReader();
    const got = [...reader.push(pooled.subarray(0, 45)), ...reader.push(pooled.subarray(45))];
    expect(Int16Array.from(got)).toEqual(samples);
  });

  it('refuses a truncated file, naming how much is missing', () => {
    const bytes = encodeWav(samples, 16000);
    const err = (() => {
      try {
        readWav(bytes.subarray(0, bytes.length - 100));
      } catch (e) {
        return e;
      }
    })() as ArcError;
    expect(err).toBeInstanceOf(ArcError);
    expect(err.code).toBe('unsupported_audio');
    expect(err.message).toMatch(/truncated WAV: header declares 2000 bytes of samples, the file has 1900/);
    expect(() => readWav(bytes.subarray(0, 30))).toThrow(/truncated WAV/);
  });

  it('refuses what is not 16-bit PCM WAV', () => {
    expect(() => readWav(new TextEncoder().encode('hello, this is not audio at all'))).toThrow(/not a WAV/);
    const float = encodeWav(samples, 16000);
    new DataView(float.buffer).setUint16(20, 3, true); // IEEE float
    expect(() => readWav(float)).toThrow(/encoding 3 is not supported/);
    const eight = encodeWav(samples, 16000);
    new DataView(eight.buffer).setUint16(34, 8, true);
    expect(() => readWav(eight)).toThrow(/8-bit samples/);
  });

  it('reads a streamed WAV (open length) arriving a few bytes at a time', () => {
    const bytes = encodeWav(samples, 22050);
    new DataView(bytes.buffer).setUint32(40, 0x7fffffff, true); // what espeak-ng --stdout writes
    expect(parseWavHeader(bytes)?.dataBytes).toBeUndefined();
    const reader = new WavStreamReader();
    const got: number[] = [];
    for (let at = 0; at < bytes.length; at += 7) got.push(...reader.push(bytes.subarray(at, at + 7)));
    expect(reader.format?.sampleRate).toBe(22050);
    expect(Int16Array.from(got)).toEqual(samples);
  });
});
