// Streaming resampler for the worklets: a windowed-sinc low-pass (when going down) then linear interpolation.
// Good enough for speech at 16 kHz, small enough to run per 128-sample render quantum.

export class StreamResampler {
  private readonly step: number;
  private readonly taps: Float32Array;
  private readonly history: Float32Array;
  private pos = 0;
  /** Position (in input samples, fractional) of the next output sample, relative to the current block. */
  private t = 0;
  private prev = 0;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
  ) {
    this.step = inRate / outRate;
    // Low-pass at 0.45 × the lower rate only when decimating; upsampling needs none.
    this.taps = inRate > outRate ? lowPass(31, (0.45 * outRate) / inRate) : new Float32Array([1]);
    this.history = new Float32Array(this.taps.length);
  }

  /** Resamples one block; output length varies by ±1 sample from block to block. */
  push(input: Float32Array): Float32Array {
    const filtered = this.filter(input);
    const out: number[] = [];
    let t = this.t;
    while (t < filtered.length) {
      const i = Math.floor(t);
      const frac = t - i;
      const a = i === 0 ? this.prev : (filtered[i - 1] as number);
      const b = filtered[i] as number;
      // `t` counts from the previous block's last sample (index -1 → prev).
      out.push(a + (b - a) * frac);
      t += this.step;
    }
    this.t = t - filtered.length;
    this.prev = filtered.length > 0 ? (filtered[filtered.length - 1] as number) : this.prev;
    return Float32Array.from(out);
  }

  private filter(input: Float32Array): Float32Array {
    const n = this.taps.length;
    if (n === 1) return input;
    const out = new Float32Array(input.length);
    for (let k = 0; k < input.length; k++) {
      this.history[this.pos] = input[k] as number;
      let acc = 0;
      let h = this.pos;
      for (let j = 0; j < n; j++) {
        acc += (this.taps[j] as number) * (this.history[h] as number);
        h = h === 0 ? n - 1 : h - 1;
      }
      out[k] = acc;
      this.pos = (this.pos + 1) % n;
    }
    return out;
  }
}

/** Hann-windowed sinc low-pass with `cutoff` as a fraction of the sample rate, unity gain at DC. */
function lowPass(n: number, cutoff: number): Float32Array {
  const taps = new Float32Array(n);
  const m = (n - 1) / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = i - m;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    taps[i] = sinc * w;
    sum += sinc * w;
  }
  for (let i = 0; i < n; i++) taps[i] = (taps[i] as number) / sum;
  return taps;
}

export function floatToInt16(f: Float32Array): Int16Array {
  const out = new Int16Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const s = Math.max(-1, Math.min(1, f[i] as number));
    out[i] = s < 0 ? s * 0x8000 : s * 0x7fff;
  }
  return out;
}

export function int16ToFloat(p: Int16Array): Float32Array {
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = (p[i] as number) / 0x8000;
  return out;
}
