// AudioWorklet: plays agent PCM from the page (s16le at the server's rate), resampled to the context's rate.
// A queue with a small start-up buffer; `clear` (barge-in) drops everything not yet played.
import { int16ToFloat, StreamResampler } from './resampler.js';

/** Audio held back before starting (or restarting after running dry): absorbs network jitter. */
const PREBUFFER_MS = 60;

class PlaybackProcessor extends AudioWorkletProcessor {
  private resampler: StreamResampler;
  private readonly queue: Float32Array[] = [];
  private offset = 0;
  private queued = 0;
  private playing = false;
  private playedSamples = 0;
  private lastReport = 0;
  private waitingSince = -1;

  constructor(options?: AudioWorkletNodeOptions) {
    super(options);
    this.resampler = new StreamResampler(
      (options?.processorOptions as { inputRate?: number } | undefined)?.inputRate ?? 24000,
      sampleRate,
    );
    this.port.onmessage = (e: MessageEvent) => {
      const msg = e.data as { type: 'pcm'; pcm: Int16Array; rate: number } | { type: 'clear' };
      if (msg.type === 'clear') {
        this.queue.length = 0;
        this.offset = 0;
        this.queued = 0;
        this.playing = false;
        return;
      }
      if (msg.rate !== this.resampler.inRate) this.resampler = new StreamResampler(msg.rate, sampleRate);
      const samples = this.resampler.push(int16ToFloat(msg.pcm));
      this.queue.push(samples);
      this.queued += samples.length;
    };
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]?.[0];
    if (!out) return true;
    if (!this.playing && this.queued > 0) {
      // Start once the buffer is full enough, or after a short wait (the end of a reply may be shorter).
      if (this.waitingSince < 0) this.waitingSince = currentTime;
      const full = this.queued >= (PREBUFFER_MS / 1000) * sampleRate;
      if (full || currentTime - this.waitingSince > (2 * PREBUFFER_MS) / 1000) {
        this.playing = true;
        this.waitingSince = -1;
      }
    }
    let i = 0;
    while (this.playing && i < out.length && this.queue.length > 0) {
      const head = this.queue[0] as Float32Array;
      const take = Math.min(out.length - i, head.length - this.offset);
      out.set(head.subarray(this.offset, this.offset + take), i);
      i += take;
      this.offset += take;
      this.queued -= take;
      this.playedSamples += take;
      if (this.offset === head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    if (i < out.length) {
      out.fill(0, i);
      if (this.queue.length === 0) this.playing = false;
    }
    for (let c = 1; c < (outputs[0]?.length ?? 0); c++) outputs[0]?.[c]?.set(out);
    if (currentTime - this.lastReport > 0.1) {
      this.lastReport = currentTime;
      this.port.postMessage({
        type: 'stats',
        playedMs: (this.playedSamples / sampleRate) * 1000,
        queuedMs: (this.queued / sampleRate) * 1000,
      });
    }
    return true;
  }
}

registerProcessor('arc-playback', PlaybackProcessor);
