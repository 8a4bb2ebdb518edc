// A VAD that ends speech by level as well as by model: Silero decides when speech starts, but it keeps calling
// audio "speech" for ~150 ms after a voice stops. The level of the audio does not lag, so this wrapper ends a
// segment once the audio has been quiet (EnergyEndpointer) for `endSilenceMs`, reports the exact silence, and
// keeps the model's lagging tail from reading as more speech (which would look like a barge-in on the reply).
import { VAD, type VADEvent, VADEventType, VADStream } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { EnergyEndpointer } from './endpointer.js';

export interface LevelEndOptions {
  /** Quiet (by level) this long ends speech, when it comes before the model's own end. */
  endSilenceMs: number;
  /**
   * A voice coming back this soon after speech ended reopens it at once, by level: the user is finishing a
   * sentence after a pause, and waiting for the model to notice (~100 ms) could let the turn end under them.
   */
  resumeWindowMs: number;
}

export const LEVEL_END_DEFAULTS: LevelEndOptions = { endSilenceMs: 200, resumeWindowMs: 1_500 };

export class LevelEndVAD extends VAD {
  readonly label: string;

  readonly options: LevelEndOptions;

  constructor(
    readonly inner: VAD,
    options: Partial<LevelEndOptions> = {},
  ) {
    super(inner.capabilities);
    this.options = { ...LEVEL_END_DEFAULTS, ...options };
    this.label = `arc.LevelEndVAD<${inner.label}>`;
  }

  override get minSilenceDuration(): number | null {
    return this.options.endSilenceMs;
  }

  stream(): LevelEndVADStream {
    return new LevelEndVADStream(this, this.inner.stream(), this.options);
  }
}

type State = 'silent' | 'speech' | 'ended-early';

export class LevelEndVADStream extends VADStream {
  private readonly endpointer = new EnergyEndpointer();
  private state: State = 'silent';
  private speechMs = 0;
  /**
   * Audio time (ms of input pushed so far): every level decision is counted in audio, not wall-clock, so a
   * stalled event loop (frames arriving in a burst) cannot stretch a short pause into an end of speech.
   */
  private audioMs = 0;
  /** Audio time the model's last end of speech arrived at. */
  private endedAt = 0;

  constructor(
    vad: VAD,
    private readonly inner: VADStream,
    private readonly options: LevelEndOptions,
  ) {
    super(vad);
    void this.pumpInput();
    void this.pumpEvents();
  }

  override close(): void {
    this.inner.close();
    super.close();
  }

  private async pumpInput(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.inputReader.read();
        if (done) break;
        if (value === VADStream.FLUSH_SENTINEL) {
          this.inner.flush();
          this.state = 'silent';
          continue;
        }
        this.inner.pushFrame(value);
        this.followLevel(value);
      }
      this.inner.endInput();
    } catch {
      // closed while pumping: nothing left to do
    }
  }

  /** Per input frame (real time): end speech by quiet, or reopen it when a voice comes back before the model ends. */
  private followLevel(frame: AudioFrame): void {
    this.audioMs += (frame.samplesPerChannel / frame.sampleRate) * 1000;
    const voiced = this.endpointer.push(frame.data, this.audioMs);
    const quiet = this.endpointer.silentFor(this.audioMs);
    if (this.state === 'speech' && quiet >= this.options.endSilenceMs) {
      this.state = 'ended-early';
      this.send(VADEventType.END_OF_SPEECH, {
        silenceDuration: quiet,
        speechDuration: this.speechMs,
        rawAccumulatedSilence: quiet,
      });
    } else if (voiced && (this.state === 'ended-early' || this.resumable())) {
      this.state = 'speech';
      this.speechMs = 0;
      this.send(VADEventType.START_OF_SPEECH, { speaking: true });
    }
  }

  /** Silent, but speech ended so recently that a returning voice is the same speaker going on. */
  private resumable(): boolean {
    return this.state === 'silent' && this.endedAt > 0 && this.audioMs - this.endedAt <= this.options.resumeWindowMs;
  }

  private async pumpEvents(): Promise<void> {
    try {
      for await (const ev of this.inner) {
        if (ev.type === VADEventType.START_OF_SPEECH) {
          if (this.state === 'silent') {
            this.state = 'speech';
            this.speechMs = ev.speechDuration;
            this.sendVADEvent(ev);
          }
        } else if (ev.type === VADEventType.END_OF_SPEECH) {
          // Ended already by level: the model's late end is swallowed, and the next start is the model's again.
          if (this.state === 'speech')
            this.sendVADEvent({
              ...ev,
              silenceDuration: Math.max(ev.silenceDuration, this.endpointer.silentFor(this.audioMs)),
            });
          this.state = 'silent';
          this.endedAt = this.audioMs;
        } else if (this.state === 'speech') {
          this.speechMs = ev.speechDuration;
          const quiet = this.endpointer.silentFor(this.audioMs);
          this.sendVADEvent({ ...ev, rawAccumulatedSilence: Math.max(ev.rawAccumulatedSilence, quiet) });
        } else if (this.state === 'ended-early') {
          // The model's tail: not speech any more (it must not count toward an interruption).
          this.sendVADEvent({ ...ev, speaking: false, speechDuration: 0, rawAccumulatedSpeech: 0, frames: ev.frames });
        } else {
          this.sendVADEvent(ev);
        }
      }
    } catch {
      // inner stream closed
    }
  }

  private send(type: VADEventType, fields: Partial<VADEvent>): void {
    this.sendVADEvent({
      type,
      samplesIndex: 0,
      timestamp: Date.now(),
      speechDuration: 0,
      silenceDuration: 0,
      frames: [],
      probability: 0,
      inferenceDuration: 0,
      speaking: false,
      rawAccumulatedSilence: 0,
      rawAccumulatedSpeech: 0,
      ...fields,
    });
  }
}
