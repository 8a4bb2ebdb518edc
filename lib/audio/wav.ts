// WAV (RIFF, 16-bit PCM) read and write, and a streaming reader for engines that write a WAV to stdout.
import { ArcError } from '../protocol/errors.js';

export interface WavFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Byte offset of the sample data. */
  dataOffset: number;
  /** Declared size of the data chunk; undefined when the writer left it open (streaming: 0 or 0x7fffffff+). */
  dataBytes: number | undefined;
}

export interface Wav {
  sampleRate: number;
  channels: number;
  /** Interleaved when channels > 1. */
  samples: Int16Array;
}

const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Data sizes that writers streaming to a pipe use for "unknown": up to the end of the stream. */
const OPEN_SIZES = new Set([0, 0x7fffffff, 0xffffffff, 0x7ffff000]);

/** A fresh Uint8Array (never a view, even when given a Node Buffer). */
function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

function bad(message: string): ArcError {
  return new ArcError('unsupported_audio', message);
}

function tag(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

/**
 * Parses the header of a WAV; returns undefined while more bytes are needed to see the data chunk.
 * Throws `unsupported_audio` for anything that is not RIFF/WAVE 16-bit integer PCM.
 */
export function parseWavHeader(bytes: Uint8Array): WavFormat | undefined {
  if (bytes.length < 12) return undefined;
  if (tag(bytes, 0) !== 'RIFF' || tag(bytes, 8) !== 'WAVE') throw bad('not a WAV file (no RIFF/WAVE header)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  let fmt: Omit<WavFormat, 'dataOffset' | 'dataBytes'> | undefined;
  for (;;) {
    if (at + 8 > bytes.length) return undefined;
    const id = tag(bytes, at);
    const size = view.getUint32(at + 4, true);
    if (id === 'data') {
      if (!fmt) throw bad('WAV data chunk comes before its fmt chunk');
      return { ...fmt, dataOffset: at + 8, dataBytes: OPEN_SIZES.has(size) ? undefined : size };
    }
    if (at + 8 + size > bytes.length) return undefined;
    if (id === 'fmt ') {
      if (size < 16) throw bad('WAV fmt chunk is too short');
      const format = view.getUint16(at + 8, true);
      const channels = view.getUint16(at + 10, true);
      const sampleRate = view.getUint32(at + 12, true);
      const bitsPerSample = view.getUint16(at + 22, true);
      if (format !== FORMAT_PCM && format !== FORMAT_EXTENSIBLE) {
        throw bad(`WAV encoding ${format} is not supported: only 16-bit integer PCM`);
      }
      if (bitsPerSample !== 16) throw bad(`WAV has ${bitsPerSample}-bit samples: only 16-bit PCM is supported`);
      if (channels < 1 || sampleRate < 1) throw bad('WAV declares no channels or no sample rate');
      fmt = { sampleRate, channels, bitsPerSample };
    }
    at += 8 + size + (size % 2); // chunks are word-aligned
  }
}

/** Reads a complete WAV file. A file shorter than its header declares is `unsupported_audio` (truncated). */
export function readWav(bytes: Uint8Array): Wav {
  const fmt = parseWavHeader(bytes);
  if (!fmt) throw bad(`truncated WAV: ${bytes.length} bytes end before the sample data starts`);
  const available = bytes.length - fmt.dataOffset;
  const declared = fmt.dataBytes ?? available - (available % (2 * fmt.channels));
  if (declared > available) {
    throw bad(`truncated WAV: header declares ${declared} bytes of samples, the file has ${available}`);
  }
  if (declared % (2 * fmt.channels) !== 0) {
    throw bad(`truncated WAV: ${declared} bytes of samples is not a whole number of ${fmt.channels}-channel frames`);
  }
  // A copy (Buffer.slice would be a view into a shared pool, and samples need 2-byte alignment).
  const data = copyBytes(bytes.subarray(fmt.dataOffset, fmt.dataOffset + declared));
  return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples: new Int16Array(data.buffer, 0, declared / 2) };
}

/** A 16-bit PCM WAV file of `samples` (interleaved when channels > 1). */
export function encodeWav(samples: Int16Array, sampleRate: number, channels = 1): Uint8Array {
  const out = new Uint8Array(44 + samples.byteLength);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + samples.byteLength, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, FORMAT_PCM, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, samples.byteLength, true);
  out.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength), 44);
  return out;
}

/**
 * Turns a WAV arriving in pieces (a child's stdout) into samples as they arrive: buffers until the header is
 * complete, then passes whole samples through, carrying an odd trailing byte to the next piece.
 */
export class WavStreamReader {
  private head: Uint8Array | undefined = new Uint8Array(0);
  private carry: number | undefined;
  format: WavFormat | undefined;

  /** Samples completed by `bytes` (empty until the header has been read). */
  push(bytes: Uint8Array): Int16Array {
    let data = bytes;
    if (this.head) {
      const joined = new Uint8Array(this.head.length + bytes.length);
      joined.set(this.head);
      joined.set(bytes, this.head.length);
      const fmt = parseWavHeader(joined);
      if (!fmt) {
        if (joined.length > 64 * 1024) throw bad('WAV stream has no data chunk in its first 64 KiB');
        this.head = joined;
        return new Int16Array(0);
      }
      if (fmt.channels !== 1) throw bad(`engine wrote ${fmt.channels}-channel audio; mono expected`);
      this.format = fmt;
      this.head = undefined;
      data = joined.subarray(fmt.dataOffset);
    }
    if (this.carry !== undefined) {
      const joined = new Uint8Array(data.length + 1);
      joined[0] = this.carry;
      joined.set(data, 1);
      data = joined;
      this.carry = undefined;
    }
    if (data.length % 2 === 1) {
      this.carry = data[data.length - 1];
      data = data.subarray(0, data.length - 1);
    }
    const aligned = data.byteOffset % 2 === 0 ? data : copyBytes(data);
    return new Int16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
  }
}
