// Session recording (RECORD_SESSIONS=1): both sides of the conversation in one stereo WAV (left = user,
// right = agent), laid on one wall-clock timeline and streamed to disk as it happens (bounded memory).
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ReadableStream, TransformStream } from 'node:stream/web';
import { voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { resample } from '../lib/audio/index.js';

/** Recording rate: speech needs no more, and it keeps an hour near 230 MB. */
export const RECORDING_RATE = 16000;
/** Audio is written once it is this old, so late frames of either side still land in place. */
const SETTLE_MS = 1_000;
/** A side whose frames drift further than this from the wall clock is re-synced to it. */
const MAX_DRIFT_MS = 150;

type Side = 0 | 1;

interface Chunk {
  at: number; // sample position on the timeline
  samples: Int16Array;
}

export class StereoRecorder {
  private readonly fd: number;
  private readonly started = Date.now();
  private readonly pending: [Chunk[], Chunk[]] = [[], []];
  private readonly next: [number, number] = [0, 0];
  private written = 0;
  private timer: NodeJS.Timeout;
  private closed = false;

  private constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, header(0));
    this.timer = setInterval(() => this.flush(false), SETTLE_MS);
    this.timer.unref();
  }

  static async create(dir: string, sessionId: string): Promise<StereoRecorder> {
    await mkdir(dir, { recursive: true });
    return new StereoRecorder(join(dir, `${sessionId}.wav`));
  }

  /** Left channel: what the user said. */
  user(frame: AudioFrame): void {
    this.add(0, frame);
  }

  /** Right channel: what the agent played. */
  agent(frame: AudioFrame): void {
    this.add(1, frame);
  }

  /** Writes what is left, fixes the header; returns the file's path and duration. */
  close(): { path: string; durationMs: number } {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.timer);
      this.flush(true);
      writeSync(this.fd, header(this.written * 4), 0, 44, 0);
      closeSync(this.fd);
    }
    return { path: this.path, durationMs: (this.written / RECORDING_RATE) * 1000 };
  }

  private add(side: Side, frame: AudioFrame): void {
    if (this.closed) return;
    const mono = new Int16Array(
      frame.data.buffer,
      frame.data.byteOffset,
      frame.samplesPerChannel * frame.channels,
    ).filter((_, i) => i % frame.channels === 0);
    const samples = frame.sampleRate === RECORDING_RATE ? mono : resample(mono, frame.sampleRate, RECORDING_RATE);
    const clock = Math.round(((Date.now() - this.started) / 1000) * RECORDING_RATE) - samples.length;
    const drift = Math.abs(clock - this.next[side]) / (RECORDING_RATE / 1000);
    const at = Math.max(this.written, drift > MAX_DRIFT_MS ? Math.max(0, clock) : this.next[side]);
    this.pending[side].push({ at, samples });
    this.next[side] = at + samples.length;
  }

  /** Interleaves and writes the settled part of the timeline (all of it when `all`). */
  private flush(all: boolean): void {
    const now = Math.round(((Date.now() - this.started - SETTLE_MS) / 1000) * RECORDING_RATE);
    const end = all ? Math.max(this.next[0], this.next[1], this.written) : now;
    if (end <= this.written) return;
    const out = new Int16Array((end - this.written) * 2);
    for (const side of [0, 1] as const) {
      const keep: Chunk[] = [];
      for (const c of this.pending[side]) {
        for (let i = 0; i < c.samples.length; i++) {
          const pos = c.at + i;
          if (pos >= this.written && pos < end) out[(pos - this.written) * 2 + side] = c.samples[i] as number;
        }
        if (c.at + c.samples.length > end) keep.push(c);
      }
      this.pending[side] = keep;
    }
    writeSync(this.fd, new Uint8Array(out.buffer));
    this.written = end;
  }
}

/** An audio input that records what passes through it on its way to the session. */
export class RecordingAudioInput extends voice.AudioInput {
  constructor(source: voice.AudioInput, recorder: StereoRecorder) {
    super();
    const tap = new TransformStream<AudioFrame, AudioFrame>({
      transform(frame, controller) {
        recorder.user(frame);
        controller.enqueue(frame);
      },
    });
    this.multiStream.addInputStream((source.stream as ReadableStream<AudioFrame>).pipeThrough(tap));
  }
}

/** An audio output that records what it is given before passing it on (room mode; local mode records at release). */
export class RecordingAudioOutput extends voice.AudioOutput {
  constructor(
    private readonly next: voice.AudioOutput,
    private readonly recorder: StereoRecorder,
  ) {
    super(next.sampleRate, next, { pause: next.canPause });
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    this.recorder.agent(frame);
    await this.next.captureFrame(frame);
  }

  override flush(): void {
    super.flush();
    this.next.flush();
  }

  clearBuffer(): void {
    this.next.clearBuffer();
  }
}

function header(dataBytes: number): Uint8Array {
  const b = Buffer.alloc(44);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write('WAVE', 8);
  b.write('fmt ', 12);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(2, 22); // stereo
  b.writeUInt32LE(RECORDING_RATE, 24);
  b.writeUInt32LE(RECORDING_RATE * 4, 28);
  b.writeUInt16LE(4, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(dataBytes, 40);
  return b;
}
