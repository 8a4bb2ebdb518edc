// Fixed-size framing (20 ms by default): what a real-time audio path feeds and plays.

/** The frame length real-time paths use (WebRTC, the agent host, the STT feed). */
export const FRAME_MS = 20;

/** Samples in one frame of `ms` at `sampleRate`; the rate must divide into whole frames. */
export function frameSamples(sampleRate: number, ms = FRAME_MS): number {
  const n = (sampleRate * ms) / 1000;
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(`${ms} ms at ${sampleRate} Hz is not a whole number of samples`);
  }
  return n;
}

/** Re-cuts a stream of arbitrary-length sample runs into frames of exactly the same length. */
export class FrameChunker {
  readonly size: number;
  private pending: Int16Array;
  private filled = 0;

  constructor(
    readonly sampleRate: number,
    readonly frameMs = FRAME_MS,
  ) {
    this.size = frameSamples(sampleRate, frameMs);
    this.pending = new Int16Array(this.size);
  }

  /** Whole frames completed by `samples` (each a fresh array the caller may keep). */
  push(samples: Int16Array): Int16Array[] {
    const out: Int16Array[] = [];
    let at = 0;
    while (at < samples.length) {
      const take = Math.min(this.size - this.filled, samples.length - at);
      this.pending.set(samples.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === this.size) {
        out.push(this.pending);
        this.pending = new Int16Array(this.size);
        this.filled = 0;
      }
    }
    return out;
  }

  /** The partial last frame, zero-padded to full length when `pad` (else cut short); undefined if none. */
  flush(pad = true): Int16Array | undefined {
    if (this.filled === 0) return undefined;
    const last = pad ? this.pending : this.pending.slice(0, this.filled);
    this.pending = new Int16Array(this.size);
    this.filled = 0;
    return last;
  }
}

/** All frames of `samples`, the last one zero-padded. */
export function toFrames(samples: Int16Array, sampleRate: number, ms = FRAME_MS): Int16Array[] {
  const chunker = new FrameChunker(sampleRate, ms);
  const frames = chunker.push(samples);
  const last = chunker.flush(true);
  if (last) frames.push(last);
  return frames;
}
