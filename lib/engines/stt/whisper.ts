// Whisper (whisper.cpp through the @fugood whisper.node native binding) as an agents-js `stt.STT`. Whisper
// decodes whole utterances, so it streams through `stt.StreamAdapter` with a VAD. The model comes from
// WHISPER_MODEL (a ggml .bin); the binding's prebuilt addon ships in its npm package (nothing downloaded).
import { createRequire } from 'node:module';
import { type APIConnectOptions, asLanguageCode, stt, type VAD } from '@livekit/agents';
import { pcmToBytes } from '../../audio/pcm.js';
import { whenAborted } from '../../audio/process.js';
import { ArcError } from '../../protocol/errors.js';
import { type AudioInput, framesToPcm, wavToPcm } from './input.js';

const WHISPER_RATE = 16000;

interface TranscribeResult {
  result: string;
  isAborted: boolean;
}

/** The part of the native binding's API this adapter uses. */
interface NativeWhisperContext {
  transcribeData(
    pcm: ArrayBuffer,
    options: { language?: string; maxThreads?: number; temperature?: number },
  ): { stop: () => Promise<void>; promise: Promise<TranscribeResult> };
  release(): Promise<void>;
}

interface NativeWhisperModule {
  WhisperContext: new (options: { filePath: string; useGpu?: boolean }) => NativeWhisperContext;
}

/** The binding for this platform: `@fugood/node-whisper-<platform>-<arch>` unless a path is given. */
export function loadWhisperBinding(specifier?: string): NativeWhisperModule {
  const spec = specifier ?? `@fugood/node-whisper-${process.platform}-${process.arch}`;
  try {
    const mod = createRequire(import.meta.url)(spec) as NativeWhisperModule & { default?: NativeWhisperModule };
    const native = mod.WhisperContext ? mod : mod.default;
    if (!native?.WhisperContext) throw new Error('it exports no WhisperContext');
    return native;
  } catch (err) {
    throw new ArcError('unavailable', `whisper.cpp binding ${spec} cannot be loaded: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export interface WhisperSTTOptions {
  /** ggml model file (WHISPER_MODEL). */
  modelPath: string;
  /** Spoken language (`en`), or `auto`. */
  language: string;
  /** CPU threads per transcription. */
  threads: number;
  /** Module specifier or path of the native binding (default: this platform's package). */
  binding?: string;
  /** VAD for `stream()` (wraps this STT in `stt.StreamAdapter`). */
  vad?: VAD;
}

export const WHISPER_DEFAULTS = { language: 'en', threads: 2 };

export class WhisperSTT extends stt.STT {
  label = 'arc.WhisperSTT';

  private constructor(
    readonly options: WhisperSTTOptions,
    private readonly context: NativeWhisperContext,
  ) {
    super({ streaming: false, interimResults: false });
  }

  /** Loads the binding and the model once, then transcribes a short silence so the first request is warm. */
  static async create(options: Partial<WhisperSTTOptions> & { modelPath: string }): Promise<WhisperSTT> {
    const o = { ...WHISPER_DEFAULTS, ...options };
    const native = loadWhisperBinding(o.binding);
    let context: NativeWhisperContext;
    try {
      context = await new native.WhisperContext({ filePath: o.modelPath, useGpu: false });
    } catch (err) {
      throw new ArcError(
        'invalid_request',
        `Whisper model ${o.modelPath} cannot be loaded: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const engine = new WhisperSTT(o, context);
    await engine.transcribe(new Int16Array(WHISPER_RATE / 2));
    return engine;
  }

  override get model(): string {
    return this.options.modelPath;
  }

  override get provider(): string {
    return 'whisper.cpp';
  }

  /** Transcript of 16 kHz mono samples; aborting stops the decoder. */
  async transcribe(samples: Int16Array, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    const bytes = pcmToBytes(samples);
    const pcm = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const job = this.context.transcribeData(pcm, {
      language: this.options.language,
      maxThreads: this.options.threads,
      temperature: 0,
    });
    const off = whenAborted(signal, () => void job.stop());
    try {
      const result = await job.promise;
      signal?.throwIfAborted();
      return result.result.trim();
    } finally {
      off();
    }
  }

  async transcribeWav(bytes: Uint8Array, signal?: AbortSignal): Promise<string> {
    return this.transcribe(wavToPcm(bytes, WHISPER_RATE), signal);
  }

  protected async _recognize(frames: AudioInput, signal?: AbortSignal): Promise<stt.SpeechEvent> {
    const samples = framesToPcm(frames, WHISPER_RATE);
    const text = await this.transcribe(samples, signal);
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      alternatives: [
        {
          language: asLanguageCode(this.options.language),
          text,
          startTime: 0,
          endTime: samples.length / WHISPER_RATE,
          confidence: 0,
        },
      ],
    };
  }

  /** Whisper is not incremental: streams go through `stt.StreamAdapter` with the configured VAD. */
  stream(options?: { connOptions?: APIConnectOptions }): stt.SpeechStream {
    if (!this.options.vad) {
      throw new ArcError('invalid_request', 'WhisperSTT.stream() needs a VAD (options.vad) to cut utterances');
    }
    return new stt.StreamAdapter(this, this.options.vad).stream(options);
  }

  override async close(): Promise<void> {
    await this.context.release();
  }
}
