// PCM s16le mono: the one audio representation the speech engines, the tts function and the STT share.

/** A run of mono 16-bit samples and the rate they were taken at. */
export interface PcmChunk {
  samples: Int16Array;
  sampleRate: number;
}

/** Clips a value to the s16 range. */
export function clamp16(v: number): number {
  return Math.max(-32768, Math.min(32767, v));
}

/** Bytes on the wire (s16le) as samples. Copies only when the bytes are not 2-byte aligned. */
export function pcmFromBytes(bytes: Uint8Array): Int16Array {
  const n = bytes.byteLength >> 1;
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(n * 2);
  copy.set(bytes.subarray(0, n * 2));
  return new Int16Array(copy.buffer);
}

/** Samples as s16le bytes (a view, no copy; every platform Node ships on is little-endian). */
export function pcmToBytes(samples: Int16Array): Uint8Array {
  return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** Float samples in [-1, 1] (as ONNX models produce them) to s16, scaled by `gain`, clipped, rounded. */
export function floatToPcm(floats: Float32Array, gain = 1): Int16Array {
  const out = new Int16Array(floats.length);
  for (let i = 0; i < floats.length; i++) {
    out[i] = clamp16(Math.round((floats[i] as number) * gain * 32767));
  }
  return out;
}

/** s16 samples as floats in [-1, 1). */
export function pcmToFloat(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = (samples[i] as number) / 32768;
  return out;
}

/** Joins sample runs into one array. */
export function concatPcm(parts: readonly Int16Array[]): Int16Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Int16Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Splits samples into pieces of at most `maxSamples` (views, no copy). */
export function splitPcm(samples: Int16Array, maxSamples: number): Int16Array[] {
  if (samples.length <= maxSamples) return [samples];
  const out: Int16Array[] = [];
  for (let at = 0; at < samples.length; at += maxSamples) out.push(samples.subarray(at, at + maxSamples));
  return out;
}
