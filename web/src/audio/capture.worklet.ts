// AudioWorklet: the microphone, downmixed to mono, resampled to 16 kHz and cut into 20 ms s16le frames that
// are posted (transferred) to the page, which sends them on the WebSocket. Also posts the input level.
import { floatToInt16, StreamResampler } from './resampler.js';

const OUT_RATE = 16000;
const FRAME = OUT_RATE / 50; // 20 ms

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly resampler = new StreamResampler(sampleRate, OUT_RATE);
  private pending = new Float32Array(FRAME);
  private filled = 0;
  private peak = 0;
  private frames = 0;

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    const n = (channels[0] as Float32Array).length;
    const mono = new Float32Array(n);
    for (const ch of channels)
      for (let i = 0; i < n; i++) mono[i] = (mono[i] as number) + (ch[i] as number) / channels.length;
    for (let i = 0; i < n; i++) this.peak = Math.max(this.peak, Math.abs(mono[i] as number));
    for (const s of this.resampler.push(mono)) {
      this.pending[this.filled++] = s;
      if (this.filled === FRAME) {
        const pcm = floatToInt16(this.pending);
        this.port.postMessage({ type: 'pcm', pcm }, [pcm.buffer]);
        this.filled = 0;
        if (++this.frames % 5 === 0) {
          this.port.postMessage({ type: 'level', peak: this.peak });
          this.peak = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor('arc-capture', CaptureProcessor);
