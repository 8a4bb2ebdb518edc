// Local-mode audio input: frames pushed by the transport (WebSocket, a test feeding a WAV) into the session.
import { ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web';
import { voice } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { DEFAULT_SILENCE_DBFS, rmsDbfs } from '../../lib/audio/index.js';
import { ArcError } from '../../lib/protocol/index.js';

/** Sample rates a caller may send; the session's VAD and STT resample to what they need. */
export const INPUT_SAMPLE_RATES = [8000, 16000, 24000, 44100, 48000] as const;
/** Longest single frame accepted (a transport sends 10–100 ms frames; more is a client bug or abuse). */
export const MAX_INPUT_FRAME_MS = 1_000;

export class LocalAudioInput extends voice.AudioInput {
  private controller: ReadableStreamDefaultController<AudioFrame> | undefined;
  private ended = false;
  /** Wall-clock ms the last voiced frame arrived: the user's measured speech end once they fall silent. */
  lastVoicedAt: number | undefined;

  constructor() {
    super();
    const stream = new ReadableStream<AudioFrame>({
      start: (c) => {
        this.controller = c;
      },
    });
    this.multiStream.addInputStream(stream);
  }

  /** Feeds mono s16le PCM; refuses audio it cannot use with an `unsupported_audio` error, never a crash. */
  pushPcm(pcm: Int16Array, sampleRate: number): void {
    if (this.ended) return;
    if (!(INPUT_SAMPLE_RATES as readonly number[]).includes(sampleRate)) {
      throw new ArcError(
        'unsupported_audio',
        `sample rate ${sampleRate} Hz is not supported (use ${INPUT_SAMPLE_RATES.join(', ')})`,
      );
    }
    if (pcm.length === 0) return;
    if ((pcm.length / sampleRate) * 1000 > MAX_INPUT_FRAME_MS) {
      throw new ArcError(
        'unsupported_audio',
        `a frame of ${pcm.length} samples is longer than ${MAX_INPUT_FRAME_MS} ms`,
      );
    }
    if (rmsDbfs(pcm) > DEFAULT_SILENCE_DBFS) this.lastVoicedAt = Date.now();
    this.controller?.enqueue(new AudioFrame(pcm, sampleRate, 1, pcm.length));
  }

  /** The caller hung up: no more audio. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.controller?.close();
    } catch {
      // already closed by the session
    }
  }

  override async close(): Promise<void> {
    this.end();
    await super.close();
  }
}
