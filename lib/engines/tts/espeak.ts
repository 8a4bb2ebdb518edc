// espeak-ng (Debian's `espeak-ng`) as a TTS engine. It reads text from stdin until EOF and streams a WAV to
// stdout, so processes for the default voice are started ahead of need and wait on stdin (a warm pool).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type EngineProcess, startEngineProcess, WarmPool, whenAborted } from '../../audio/process.js';
import { WavStreamReader } from '../../audio/wav.js';
import { ArcError } from '../../protocol/errors.js';
import { speakableText, streamSpeech, unknownVoice } from './stream.js';
import type { SynthesizeOptions, TtsChunk, TtsEngine } from './types.js';

/** espeak-ng's native output rate. */
const ESPEAK_RATE = 22050;
/** espeak-ng's default speed, words per minute; lengthScale divides it. */
const DEFAULT_WPM = 175;

export interface EspeakOptions {
  /** Voice used when a request names none (a language code from `espeak-ng --voices`). */
  voice: string;
  /** Processes kept started for the default voice and speed. */
  poolSize: number;
  command: string;
}

export const ESPEAK_DEFAULTS: EspeakOptions = { voice: 'en-us', poolSize: 2, command: 'espeak-ng' };

export class EspeakEngine implements TtsEngine {
  readonly name = 'espeak-ng';
  private readonly pool: WarmPool<EngineProcess>;

  private constructor(
    private readonly options: EspeakOptions,
    private readonly available: readonly string[],
  ) {
    this.pool = new WarmPool({
      size: options.poolSize,
      create: () => this.start(options.voice, DEFAULT_WPM),
      usable: (p) => p.running,
      dispose: (p) => p.kill(),
    });
  }

  /** Reads espeak-ng's voice list (MBROLA voices left out: they need a separate synthesiser). */
  static async create(options: Partial<EspeakOptions> = {}): Promise<EspeakEngine> {
    const o = { ...ESPEAK_DEFAULTS, ...options };
    const { stdout } = await promisify(execFile)(o.command, ['--voices']).catch((err: Error) => {
      throw new ArcError('upstream', `espeak-ng is not usable (${err.message}); run scripts/ensure-system.sh`, {
        cause: err,
      });
    });
    const voices = new Set<string>();
    for (const line of stdout.split('\n').slice(1)) {
      const [, language, , , file] = line.trim().split(/\s+/);
      if (!language || !file || file.startsWith('mb/')) continue;
      voices.add(language);
      voices.add(file);
    }
    const engine = new EspeakEngine(o, [...voices]);
    engine.sampleRateOf(o.voice);
    return engine;
  }

  get defaultVoice(): string {
    return this.options.voice;
  }

  voices(): readonly string[] {
    return this.available;
  }

  sampleRateOf(voice = this.options.voice): number {
    if (!this.available.includes(voice)) throw unknownVoice(this.name, voice, this.available, this.options.voice);
    return ESPEAK_RATE;
  }

  /** Starts the pool and runs one synthesis through it. */
  async warm(): Promise<void> {
    await this.pool.fill();
    for await (const _ of this.synthesize('Ready.')) {
    }
    await this.pool.fill();
  }

  /** Processes started and waiting for text (for tests and metrics). */
  get idleProcesses(): number {
    return this.pool.idle;
  }

  synthesize(text: string, options: SynthesizeOptions = {}): AsyncIterable<TtsChunk> {
    const voice = options.voice ?? this.options.voice;
    this.sampleRateOf(voice);
    const clean = speakableText(text);
    const wpm = Math.round(Math.min(450, Math.max(80, DEFAULT_WPM / (options.lengthScale ?? 1))));
    const pooled = voice === this.options.voice && wpm === DEFAULT_WPM;
    const take = () => (pooled ? this.pool.take() : this.start(voice, wpm));
    return streamSpeech(
      clean,
      ESPEAK_RATE,
      async function* espeakChunk(chunk, _index, signal) {
        const proc = await take();
        const off = whenAborted(signal, () => void proc.kill());
        try {
          proc.stdin.end(`${chunk}\n`);
          const reader = new WavStreamReader();
          for await (const data of proc.stdout) {
            const samples = reader.push(data as Buffer);
            if (samples.length > 0) yield samples;
          }
          const status = await proc.exited;
          if (status.code !== 0 && !signal.aborted) {
            throw new ArcError(
              'upstream',
              `espeak-ng failed (exit ${status.code ?? status.signal}): ${proc.stderrTail}`,
            );
          }
        } finally {
          off();
          await proc.kill();
        }
      },
      options,
    );
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private start(voice: string, wpm: number): Promise<EngineProcess> {
    return startEngineProcess('espeak-ng', this.options.command, [
      '--stdin',
      '--stdout',
      '-v',
      voice,
      '-s',
      String(wpm),
    ]);
  }
}
