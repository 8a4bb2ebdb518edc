// PocketSphinx as an agents-js `stt.STT`: a warm pool of loaded decoders (in-process, or processes), so neither
// `recognize()` nor a stream's utterance waits for a process to start or a model to load.
import { type APIConnectOptions, type stt as agentsStt, asLanguageCode, stt, type VAD } from '@livekit/agents';
import { WarmPool } from '../../../audio/process.js';
import { type AudioInput, framesToPcm, wavToPcm } from '../input.js';
import { SphinxDecoder } from './decoder.js';
import { loadSphinxLibrary, NativeSphinxDecoder } from './native.js';
import { SPHINX_DEFAULTS, SPHINX_RATE, type SphinxOptions, type UtteranceDecoder } from './options.js';
import { PocketSphinxSpeechStream } from './stream.js';

export interface PocketSphinxSTTOptions extends SphinxOptions {
  /**
   * Decoders kept loaded and waiting (each ~40 MB): one per utterance decoded at once. Native decoders come
   * back after each utterance; a process is used up and replaced behind it.
   */
  poolSize: number;
  /**
   * Voice activity detector that cuts a stream into utterances (e.g. the host's Silero). Without one the
   * decoder's own endpointer cuts segments, and `flush()` ends the current utterance.
   */
  vad?: VAD;
  /** Language reported on transcripts (the model decides what is recognised). */
  language: string;
  /**
   * With a VAD: after this much silence inside an utterance, send the hypothesis so far as a
   * PREFLIGHT_TRANSCRIPT, so agents-js can start generating the reply before the turn ends. Off when unset.
   */
  preflightSilenceMs?: number;
}

export const POCKETSPHINX_DEFAULTS: Omit<PocketSphinxSTTOptions, 'vad'> = {
  ...SPHINX_DEFAULTS,
  poolSize: 2,
  language: 'en-US',
};

/** `auto` becomes `native` where koffi and libpocketsphinx load, else `process`. */
export function resolveBackend(backend: SphinxOptions['backend']): 'native' | 'process' {
  if (backend === 'process') return 'process';
  try {
    loadSphinxLibrary();
    return 'native';
  } catch (err) {
    if (backend === 'native') throw err;
    return 'process';
  }
}

export class PocketSphinxSTT extends stt.STT {
  label = 'arc.PocketSphinxSTT';
  readonly options: PocketSphinxSTTOptions;
  readonly backend: 'native' | 'process';
  /** @internal the streams' decoder source */
  readonly pool: WarmPool<UtteranceDecoder>;

  private constructor(options: PocketSphinxSTTOptions, backend: 'native' | 'process') {
    // Partial hypotheses only in-process: the CLI prints a segment once its endpointer closes it.
    super({ streaming: true, interimResults: backend === 'native' });
    this.options = options;
    this.backend = backend;
    this.pool = new WarmPool<UtteranceDecoder>({
      size: options.poolSize,
      reusable: backend === 'native',
      create:
        backend === 'native'
          ? () => NativeSphinxDecoder.create(options)
          : async () => {
              const decoder = await SphinxDecoder.start(options);
              await decoder.ready;
              return decoder;
            },
      usable: (d) => d.alive,
      dispose: (d) => d.kill(),
      onError: (error) => this.reportError(error),
    });
  }

  /** Returns a decoder after its utterance (a process decoder has exited and is dropped). */
  release(decoder: UtteranceDecoder): void {
    this.pool.give(decoder);
  }

  /** Ends a decoder's utterance without wanting its transcript (stream closed, barge-in), then releases it. */
  async discard(decoder: UtteranceDecoder): Promise<void> {
    await decoder.finish(AbortSignal.abort()).catch(() => {});
    this.release(decoder);
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
    const o = { ...POCKETSPHINX_DEFAULTS, ...options };
    const engine = new PocketSphinxSTT(o, resolveBackend(o.backend));
    await engine.pool.fill();
    return engine;
  }

  override get model(): string {
    return this.options.hmm ?? 'en-us';
  }

  override get provider(): string {
    return `pocketsphinx (${this.backend})`;
  }

  /** Transcript of 16 kHz mono samples. */
  async transcribe(samples: Int16Array, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted(); // do not spend a warm decoder on a request that is already cancelled
    const decoder = await this.pool.take();
    try {
      decoder.write(samples);
      return await decoder.finish(signal);
    } finally {
      this.release(decoder);
    }
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
