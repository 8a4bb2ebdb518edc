// Local-mode audio output: a real-time player (like a sound card or a LiveKit AudioSource) in front of a sink.
// Frames captured from the pipeline wait in a queue and are released to the sink at playback pace, so
// "emitted audio" means audio the listener hears, barge-in drops what has not been released, and
// playback positions (what the user actually heard) are exact.
import { voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { DEFAULT_SILENCE_DBFS, rmsDbfs } from '../../lib/audio/index.js';

/** Where released audio goes: a WebSocket to the browser, a recorder in a test. */
export interface AudioSink {
  /** A frame starts playing now. */
  frame(frame: AudioFrame, info: { segment: number; audible: boolean }): void;
  /** Barge-in: drop anything buffered downstream (the browser's jitter buffer). */
  clear(): void;
}

export interface LocalAudioOutputOptions {
  sink: AudioSink;
  /** Rate the session resamples agent audio to; undefined keeps the TTS rate. */
  sampleRate?: number;
  /** How far ahead of real time frames are released (covers network jitter to the browser). */
  leadMs: number;
  /** Level above which a frame counts as audible: the "first agent audio" of a reply. */
  audibleDbfs: number;
}

interface Segment {
  id: number;
  queued: number;
  releasedMs: number;
  /** Wall time (ms) at which this segment's last released frame ends playing. */
  endsAt: number;
  started: boolean;
  flushed: boolean;
  finished: boolean;
  tail?: NodeJS.Timeout;
}

export const DEFAULT_OUTPUT_OPTIONS = { leadMs: 60, audibleDbfs: DEFAULT_SILENCE_DBFS } as const;

export class LocalAudioOutput extends voice.AudioOutput {
  private readonly opts: LocalAudioOutputOptions;
  private readonly queue: { frame: AudioFrame; segment: Segment }[] = [];
  /** Segments captured and not yet reported finished, oldest first: each gets exactly one finish. */
  private readonly active: Segment[] = [];
  private nextId = 0;
  /** Wall time (ms) at which the last released frame ends playing. */
  private playhead = 0;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private closed = false;

  constructor(options: Pick<LocalAudioOutputOptions, 'sink'> & Partial<LocalAudioOutputOptions>) {
    const opts = { ...DEFAULT_OUTPUT_OPTIONS, ...options };
    // Pausable: a possible interruption pauses at once and resumes if it was only a cough or a "mhm".
    super(opts.sampleRate, undefined, { pause: true });
    this.opts = opts;
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    if (this.closed) return;
    await super.captureFrame(frame);
    let seg = this.active.at(-1);
    if (!seg || seg.flushed) {
      seg = { id: this.nextId++, queued: 0, releasedMs: 0, endsAt: 0, started: false, flushed: false, finished: false };
      this.active.push(seg);
    }
    seg.queued++;
    this.queue.push({ frame, segment: seg });
    this.schedule();
  }

  override flush(): void {
    super.flush();
    const seg = this.active.at(-1);
    if (!seg || seg.flushed) return; // nothing captured since the last flush: no segment to finish
    seg.flushed = true;
    this.maybeFinish(seg);
  }

  override clearBuffer(): void {
    this.queue.splice(0);
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    this.playhead = Math.min(this.playhead, now);
    this.opts.sink.clear();
    for (const seg of this.active.splice(0)) {
      clearTimeout(seg.tail);
      const unplayed = seg.started ? Math.max(0, seg.endsAt - now) : 0;
      this.finish(seg, Math.max(0, seg.releasedMs - unplayed), true);
    }
    // A reply still being captured continues as a new segment after the clear.
    super.flush();
    this.paused = false;
  }

  /** Stops releasing audio (what was released plays out); the position holds until resume. */
  override pause(): void {
    if (this.paused) return;
    this.paused = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  override resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Audio queued but not yet released, in milliseconds (for metrics and tests). */
  get bufferedMs(): number {
    return this.queue.reduce((ms, q) => ms + frameMs(q.frame), 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearBuffer();
  }

  private schedule(): void {
    if (this.timer || this.paused || this.queue.length === 0) return;
    const wait = Math.max(0, this.playhead - Date.now() - this.opts.leadMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.release();
    }, wait);
  }

  private release(): void {
    const now = Date.now();
    while (this.queue.length > 0 && this.playhead - now <= this.opts.leadMs) {
      const { frame, segment } = this.queue.shift() as { frame: AudioFrame; segment: Segment };
      const start = Math.max(this.playhead, now);
      this.playhead = start + frameMs(frame);
      segment.queued--;
      segment.releasedMs += frameMs(frame);
      segment.endsAt = this.playhead;
      if (!segment.started) {
        segment.started = true;
        this.onPlaybackStarted(start);
      }
      this.opts.sink.frame(frame, { segment: segment.id, audible: rmsDbfs(frame.data) > this.opts.audibleDbfs });
      this.maybeFinish(segment);
    }
    this.schedule();
  }

  /** A flushed segment is finished once all of it has been released and has played out. */
  private maybeFinish(seg: Segment): void {
    if (!seg.flushed || seg.finished || seg.queued > 0 || !seg.started || seg.tail) return;
    seg.tail = setTimeout(
      () => {
        const i = this.active.indexOf(seg);
        if (i >= 0) this.active.splice(i, 1);
        this.finish(seg, seg.releasedMs, false);
      },
      Math.max(0, seg.endsAt - Date.now()),
    );
  }

  private finish(seg: Segment, playedMs: number, interrupted: boolean): void {
    if (seg.finished) return;
    seg.finished = true;
    this.onPlaybackFinished({ playbackPosition: playedMs / 1000, interrupted });
  }
}

export function frameMs(frame: AudioFrame): number {
  return (frame.samplesPerChannel / frame.sampleRate) * 1000;
}
