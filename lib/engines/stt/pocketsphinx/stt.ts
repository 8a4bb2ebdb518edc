// PocketSphinx as an agents-js `stt.STT`: a warm pool of started decoders, so neither `recognize()` nor a
// stream's utterance waits for a process to start or a model to load.
import { type APIConnectOptions, type stt as agentsStt, asLanguageCode, stt, type VAD } from '@livekit/agents';
import { WarmPool } from '../../../audio/process.js';
import { type AudioInput, framesToPcm, wavToPcm } from '../input.js';
import { SPHINX_DEFAULTS, SPHINX_RATE, SphinxDecoder, type SphinxOptions } from './decoder.js';
import { PocketSphinxSpeechStream } from './stream.js';

export interface PocketSphinxSTTOptions extends SphinxOptions {
  /** Decoders kept started and waiting (each ~40 MB). One is taken per utterance and replaced behind it. */
  poolSize: number;
  /**
   * Voice activity detector that cuts a stream into utterances (e.g. the host's Silero). Without one the
   * decoder's own endpointer cuts segments, and `flush()` ends the current utterance.
   */
  vad?: VAD;
  /** Language reported on transcripts (the model decides what is recognised). */
  language: string;
}

export const POCKETSPHINX_DEFAULTS: Omit<PocketSphinxSTTOptions, 'vad'> = {
  ...SPHINX_DEFAULTS,
  poolSize: 2,
  language: 'en-US',
};

export class PocketSphinxSTT extends stt.STT {
  label = 'arc.PocketSphinxSTT';
  readonly options: PocketSphinxSTTOptions;
  /** @internal the streams' decoder source */
  readonly pool: WarmPool<SphinxDecoder>;

  private constructor(options: PocketSphinxSTTOptions) {
    // No partial hypotheses: the CLI prints a segment only once its endpointer (or the end of audio) closes it.
    super({ streaming: true, interimResults: false });
    this.options = options;
    this.pool = new WarmPool({
      size: options.poolSize,
      create: async () => {
        const decoder = await SphinxDecoder.start(options);
        await decoder.ready;
        return decoder;
      },
      usable: (d) => d.alive,
      dispose: (d) => d.kill(),
      onError: (error) =>
        this.emit('error', {
          type: 'stt_error',
          timestamp: Date.now(),
          label: this.label,
          error: error as Error,
          recoverable: true,
        }),
    });
  }

  /**
   * A recoverable failure (a decoder that did not start, or died mid-utterance): an `error` event for the
   * session; with nobody listening, a warning (an EventEmitter 'error' without listeners would throw).
   */
  reportError(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.listenerCount('error') > 0) {
      this.emit('error', {
        type: 'stt_error',
        timestamp: Date.now(),
        label: this.label,
        error: err,
        recoverable: true,
      });
    } else {
      console.warn(`${this.label}: ${err.message}`);
    }
  }

  /** Starts the pool and waits until its decoders have loaded the model. */
  static async create(options: Partial<PocketSphinxSTTOptions> = {}): Promise<PocketSphinxSTT> {
    const engine = new PocketSphinxSTT({ ...POCKETSPHINX_DEFAULTS, ...options });
    await engine.pool.fill();
    return engine;
  }

  override get model(): string {
    return this.options.hmm ?? 'en-us';
  }

  override get provider(): string {
    return 'pocketsphinx';
  }

  /** Transcript of 16 kHz mono samples. */
  async transcribe(samples: Int16Array, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted(); // do not spend a warm decoder on a request that is already cancelled
    const decoder = await this.pool.take();
    await decoder.ready;
    decoder.write(samples);
    return decoder.finish(signal);
  }

  /** Transcript of a WAV file (mono, ≥ 16 kHz; anything else is `unsupported_audio`). */
  async transcribeWav(bytes: Uint8Array, signal?: AbortSignal): Promise<string> {
    return this.transcribe(wavToPcm(bytes, SPHINX_RATE), signal);
  }

  protected async _recognize(frames: AudioInput, signal?: AbortSignal): Promise<agentsStt.SpeechEvent> {
    const samples = framesToPcm(frames, SPHINX_RATE);
    const text = await this.transcribe(samples, signal);
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      alternatives: [
        {
          language: asLanguageCode(this.options.language),
          text,
          startTime: 0,
          endTime: samples.length / SPHINX_RATE,
          confidence: 0, // pocketsphinx_continuous does not print one
        },
      ],
    };
  }

  stream(options?: { connOptions?: APIConnectOptions }): PocketSphinxSpeechStream {
    return new PocketSphinxSpeechStream(this, options?.connOptions);
  }

  override async close(): Promise<void> {
    await this.pool.close();
  }
}
