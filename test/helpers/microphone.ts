// A simulated microphone that is always on: 20 ms frames at real-time pace, silence unless an utterance is
// queued, as a browser's capture would send. Shared by the voice tests and bench/e2e.
import { FrameChunker, lastAudibleSample, resample } from '../../lib/audio/index.js';
import { sleep } from '../../lib/util/abort.js';

export interface MicTarget {
  pushPcm(pcm: Int16Array, sampleRate: number): void;
}

export interface Said {
  /** Wall-clock ms the last frame of the utterance (trailing silence included) was pushed. */
  endAt: number;
  /** Wall-clock ms the frame holding the utterance's last audible sample was pushed: "speech end". */
  voicedEndAt: number;
  /** Wall-clock ms the frames holding each requested sample offset were pushed. */
  marksAt: number[];
}

interface Queued {
  frames: Int16Array[];
  /** Frame index → wall time, filled as they go out. */
  watch: Map<number, number>;
  sent: number;
  voicedEndFrame: number;
  markFrames: number[];
  done: (said: Said) => void;
  fail: (err: unknown) => void;
}

export class Microphone {
  private queue: Queued[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly target: MicTarget,
    readonly rate = 16000,
  ) {
    const silent = new Int16Array(rate / 50);
    this.loop = (async () => {
      const t0 = performance.now();
      for (let i = 0; this.running; i++) {
        const wait = t0 + i * 20 - performance.now();
        if (wait > 1) await sleep(wait);
        const current = this.queue[0];
        const frame = current ? (current.frames[current.sent] as Int16Array) : silent;
        try {
          this.target.pushPcm(frame, rate);
        } catch (err) {
          // The session is closed: nothing more will be heard; fail what was waiting to be said.
          for (const q of this.queue.splice(0)) q.fail(err);
          this.running = false;
          return;
        }
        if (!current) continue;
        if (current.watch.has(current.sent)) current.watch.set(current.sent, Date.now());
        current.sent++;
        if (current.sent === current.frames.length) {
          this.queue.shift();
          const at = (f: number) => current.watch.get(f) ?? Date.now();
          current.done({
            endAt: Date.now(),
            voicedEndAt: at(current.voicedEndFrame),
            marksAt: current.markFrames.map(at),
          });
        }
      }
    })();
  }

  /** Queues an utterance; `marks` are sample offsets (at `sampleRate`) whose send times are reported. */
  say(samples: Int16Array, sampleRate: number, marks: number[] = []): Promise<Said> {
    const pcm = sampleRate === this.rate ? samples : resample(samples, sampleRate, this.rate);
    const chunker = new FrameChunker(this.rate, 20);
    const frames = chunker.push(pcm);
    const last = chunker.flush(true);
    if (last) frames.push(last);
    const frameOf = (sample: number) => Math.min(frames.length - 1, Math.floor(sample / (this.rate / 50)));
    const scale = this.rate / sampleRate;
    const voicedEndFrame = frameOf(Math.max(0, lastAudibleSample(pcm, this.rate) - 1));
    const markFrames = marks.map((m) => frameOf(Math.round(m * scale)));
    const watch = new Map<number, number>([[voicedEndFrame, 0], ...markFrames.map((f) => [f, 0] as [number, number])]);
    if (!this.running) return Promise.reject(new Error('the microphone is off (its session closed)'));
    return new Promise((done, fail) =>
      this.queue.push({ frames, watch, sent: 0, voicedEndFrame, markFrames, done, fail }),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
