// Streaming rational resampler: a polyphase windowed-sinc (Kaiser) low-pass, so 22 050 → 16 000 Hz or
// 48 000 → 16 000 Hz neither aliases nor drops samples. Output is time-aligned with the input.
import { clamp16 } from './pcm.js';

/** Zero crossings of the sinc kept on each side (at the lower of the two rates): quality vs. cost. */
const ZEROS = 16;
/** Passband edge as a fraction of the lower Nyquist frequency; the rest is the transition band. */
const ROLLOFF = 0.92;
/** Kaiser window shape: ~80 dB stop-band attenuation. */
const KAISER_BETA = 8;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (for the Kaiser window). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

interface Filter {
  up: number;
  down: number;
  /** Taps per phase (an even number, 2 × half-width). */
  taps: number;
  /** `up` phases × `taps` coefficients, each phase normalised to unit DC gain. */
  table: Float32Array;
}

const filters = new Map<string, Filter>();

/** Filters are pure functions of the two rates: built once per pair and shared. */
function filterFor(fromRate: number, toRate: number): Filter {
  const key = `${fromRate}:${toRate}`;
  const cached = filters.get(key);
  if (cached) return cached;
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  // Cutoff relative to the input Nyquist frequency: below the output's when downsampling.
  const scale = Math.min(1, toRate / fromRate) * ROLLOFF;
  const half = Math.ceil(ZEROS / scale);
  const taps = 2 * half;
  const table = new Float32Array(up * taps);
  const i0beta = besselI0(KAISER_BETA);
  for (let p = 0; p < up; p++) {
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      // Distance (in input samples) from the output instant to input tap k.
      const x = k - half + 1 - p / up;
      const r = x / half;
      const w = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0beta;
      const arg = Math.PI * scale * x;
      const h = (x === 0 ? 1 : Math.sin(arg) / arg) * w;
      table[p * taps + k] = h;
      sum += h;
    }
    for (let k = 0; k < taps; k++) table[p * taps + k] = (table[p * taps + k] as number) / sum;
  }
  const filter = { up, down, taps, table };
  filters.set(key, filter);
  return filter;
}

/**
 * Converts mono s16 audio from one rate to another, chunk by chunk. `push()` returns what can be computed
 * so far (the filter looks ~16 samples ahead); `flush()` returns the tail. Pushing a signal in pieces gives
 * exactly the samples that resampling it whole gives.
 */
export class Resampler {
  private readonly f: Filter;
  private readonly half: number;
  /** Pending input; buf[j] is input sample (consumed + j − half + 1): the first half − 1 are the zero past. */
  private buf: Float32Array;
  private len: number;
  /** Position of the next output, in 1/up input samples, relative to buf[half − 1]. */
  private num = 0;
  private inputCount = 0;
  private outputCount = 0;
  private flushed = false;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    if (!(Number.isInteger(fromRate) && fromRate > 0 && Number.isInteger(toRate) && toRate > 0)) {
      throw new RangeError(`sample rates must be positive integers (got ${fromRate} → ${toRate})`);
    }
    this.f = filterFor(fromRate, toRate);
    this.half = this.f.taps / 2;
    this.buf = new Float32Array(Math.max(4096, this.f.taps * 4));
    this.len = this.half - 1;
  }

  /** Resampled samples computable after adding `input`. */
  push(input: Int16Array): Int16Array {
    if (this.flushed) throw new Error('Resampler.push after flush');
    if (this.fromRate === this.toRate) {
      this.inputCount += input.length;
      this.outputCount += input.length;
      return input;
    }
    this.append(input);
    this.inputCount += input.length;
    return this.drain(false);
  }

  /** The remaining output, computed as if the input were followed by silence. */
  flush(): Int16Array {
    if (this.flushed) return new Int16Array(0);
    this.flushed = true;
    if (this.fromRate === this.toRate) return new Int16Array(0);
    this.append(new Int16Array(this.half + 1));
    return this.drain(true);
  }

  private append(input: Int16Array): void {
    if (this.len + input.length > this.buf.length) {
      const bigger = new Float32Array(Math.max(this.buf.length * 2, this.len + input.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    for (let i = 0; i < input.length; i++) this.buf[this.len + i] = input[i] as number;
    this.len += input.length;
  }

  private drain(final: boolean): Int16Array {
    const { up, down, taps, table } = this.f;
    // Total output is ceil(input × up / down); at the end we stop exactly there.
    const limit = final ? Math.ceil((this.inputCount * up) / down) - this.outputCount : Number.POSITIVE_INFINITY;
    const out: number[] = [];
    for (;;) {
      if (out.length >= limit) break;
      const i = Math.floor(this.num / up);
      if (i + taps > this.len) break;
      const p = this.num - i * up;
      let acc = 0;
      const base = p * taps;
      for (let k = 0; k < taps; k++) acc += (this.buf[i + k] as number) * (table[base + k] as number);
      out.push(clamp16(Math.round(acc)));
      this.num += down;
    }
    // Forget input no later output can reach.
    const drop = Math.floor(this.num / up);
    if (drop > 0) {
      this.buf.copyWithin(0, drop, this.len);
      this.len -= drop;
      this.num -= drop * up;
    }
    this.outputCount += out.length;
    return Int16Array.from(out);
  }
}

/** Resamples a whole signal at once. */
export function resample(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return samples;
  const r = new Resampler(fromRate, toRate);
  const head = r.push(samples);
  const tail = r.flush();
  const out = new Int16Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
