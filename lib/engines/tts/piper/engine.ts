// Piper (VITS voices exported to ONNX) run in-process with onnxruntime-node: the model is loaded once per
// process, each speakable chunk is phonemised, mapped to ids and inferred, and its audio is handed out as soon
// as that chunk is done.
import { basename } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { floatToPcm, samplesFor } from '../../../audio/index.js';
import { ArcError } from '../../../protocol/errors.js';
import { speakableText, streamSpeech, unknownVoice } from '../stream.js';
import type { SynthesizeOptions, TtsChunk, TtsEngine } from '../types.js';
import { configPathFor, loadVoiceConfig, type PiperVoiceConfig } from './config.js';
import { loadPhonemizer, phonemesToIds, phonemize } from './phonemes.js';

export interface PiperOptions {
  /** The voice model (`.onnx`); its config is `<model>.json` unless given. */
  modelPath: string;
  configPath?: string;
  /** onnxruntime intra-op threads (0 = its default). */
  threads: number;
  /** Silence after a chunk that ends a sentence, ms (Piper's sentence_silence). */
  sentenceSilenceMs: number;
}

export const PIPER_DEFAULTS = { threads: 0, sentenceSilenceMs: 200 };

export interface InferenceScales {
  noiseScale: number;
  lengthScale: number;
  noiseW: number;
  speakerId?: number;
}

export class PiperEngine implements TtsEngine {
  readonly name = 'piper';
  readonly defaultVoice: string;

  private constructor(
    private readonly options: PiperOptions,
    readonly config: PiperVoiceConfig,
    private readonly session: InferenceSession,
  ) {
    this.defaultVoice = basename(options.modelPath).replace(/\.onnx$/, '');
  }

  /** Loads the config and the ONNX model and checks the model has Piper's inputs and output. */
  static async create(options: Partial<PiperOptions> & { modelPath: string }): Promise<PiperEngine> {
    const o = { ...PIPER_DEFAULTS, ...options };
    const config = await loadVoiceConfig(o.configPath ?? configPathFor(o.modelPath));
    const ort = await import('onnxruntime-node');
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(o.modelPath, {
        executionProviders: ['cpu'],
        ...(o.threads > 0 ? { intraOpNumThreads: o.threads } : {}),
      });
    } catch (err) {
      throw new ArcError('invalid_request', `Piper model ${o.modelPath} cannot be loaded: ${(err as Error).message}`, {
        cause: err,
      });
    }
    for (const name of ['input', 'input_lengths', 'scales']) {
      if (!session.inputNames.includes(name)) {
        throw new ArcError('invalid_request', `${o.modelPath} is not a Piper voice: it has no "${name}" input`);
      }
    }
    if (!session.outputNames.includes('output')) {
      throw new ArcError('invalid_request', `${o.modelPath} is not a Piper voice: it has no "output" output`);
    }
    return new PiperEngine(o, config, session);
  }

  voices(): readonly string[] {
    return [this.defaultVoice, ...Object.keys(this.config.speakers)];
  }

  sampleRateOf(voice = this.defaultVoice): number {
    if (!this.voices().includes(voice)) throw unknownVoice(this.name, voice, this.voices(), this.defaultVoice);
    return this.config.sampleRate;
  }

  /** Loads espeak-ng's WASM and runs one inference, so no request pays either. */
  async warm(): Promise<void> {
    await loadPhonemizer();
    for await (const _ of this.synthesize('Ready.')) {
    }
  }

  /** Phoneme ids of one chunk, as Piper would feed them to the model. */
  async phonemeIds(text: string): Promise<number[]> {
    const { ids } = phonemesToIds(await phonemize(text, this.config.espeakVoice), this.config.phonemeIds);
    return ids;
  }

  /** Raw model output (float samples) for a list of phoneme ids. */
  async infer(ids: readonly number[], scales: InferenceScales): Promise<Float32Array> {
    const ort = await import('onnxruntime-node');
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
      input: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      input_lengths: new ort.Tensor('int64', BigInt64Array.of(BigInt(ids.length)), [1]),
      scales: new ort.Tensor('float32', Float32Array.of(scales.noiseScale, scales.lengthScale, scales.noiseW), [3]),
    };
    if (this.session.inputNames.includes('sid')) {
      feeds.sid = new ort.Tensor('int64', BigInt64Array.of(BigInt(scales.speakerId ?? 0)), [1]);
    }
    const out = await this.session.run(feeds);
    const audio = out.output?.data;
    if (!(audio instanceof Float32Array)) throw new ArcError('upstream', 'Piper model returned no float audio');
    return audio;
  }

  synthesize(text: string, options: SynthesizeOptions = {}): AsyncIterable<TtsChunk> {
    const voice = options.voice ?? this.defaultVoice;
    const rate = this.sampleRateOf(voice);
    const speakerId = this.speakerFor(voice, options.speakerId);
    const clean = speakableText(text);
    const scales: InferenceScales = {
      noiseScale: options.noiseScale ?? this.config.noiseScale,
      lengthScale: options.lengthScale ?? this.config.lengthScale,
      noiseW: options.noiseW ?? this.config.noiseW,
      speakerId,
    };
    const silence = samplesFor(this.options.sentenceSilenceMs, rate);
    return streamSpeech(
      clean,
      rate,
      async function* piperChunk(this: PiperEngine, chunk: string, _index: number, signal: AbortSignal) {
        const ids = await this.phonemeIds(chunk);
        if (signal.aborted || ids.length <= 3) return; // BOS, PAD, EOS only: nothing this voice can say
        const audio = await this.infer(ids, scales);
        if (signal.aborted) return;
        // Per-chunk peak normalisation, as Piper does (quiet models are brought up to full scale).
        let peak = 0.01;
        for (let i = 0; i < audio.length; i++) peak = Math.max(peak, Math.abs(audio[i] as number));
        yield floatToPcm(audio, 1 / peak);
        if (/[.!?…]["'”’)]*$/u.test(chunk) && silence > 0) yield new Int16Array(silence);
      }.bind(this),
      options,
    );
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  private speakerFor(voice: string, speakerId: number | undefined): number | undefined {
    const named = this.config.speakers[voice];
    const id = speakerId ?? named;
    if (id === undefined) return this.config.numSpeakers > 1 ? 0 : undefined;
    if (id >= this.config.numSpeakers) {
      throw new ArcError(
        'invalid_request',
        `speakerId ${id} is out of range: the voice has ${this.config.numSpeakers} speakers`,
      );
    }
    return id;
  }
}
