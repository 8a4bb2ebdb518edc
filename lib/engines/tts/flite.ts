// flite (Debian's `flite`) as a TTS engine: one short-lived process per text chunk, writing a WAV file.
// flite cannot write a WAV to a pipe (it seeks to patch the header after each utterance), and its voices are
// compiled into the binary so a start costs ~5–10 ms: pre-started processes would save nothing measurable.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readAll, startEngineProcess } from '../../audio/process.js';
import { readWav } from '../../audio/wav.js';
import { ArcError } from '../../protocol/errors.js';
import { speakableText, streamSpeech, unknownVoice } from './stream.js';
import type { SynthesizeOptions, TtsChunk, TtsEngine } from './types.js';

/** Native rates of the voices Debian's flite ships (`kal` is the 8 kHz diphone voice). */
const VOICE_RATES: Record<string, number> = { kal: 8000, kal16: 16000, slt: 16000, rms: 16000, awb: 16000 };

export interface FliteOptions {
  /** Voice used when a request names none. */
  voice: string;
  /** The flite executable. */
  command: string;
}

export const FLITE_DEFAULTS: FliteOptions = { voice: 'slt', command: 'flite' };

export class FliteEngine implements TtsEngine {
  readonly name = 'flite';
  private constructor(
    private readonly options: FliteOptions,
    private readonly available: readonly string[],
  ) {}

  /** Asks flite which voices it has; fails with `unknown_voice` if the default is not one of them. */
  static async create(options: Partial<FliteOptions> = {}): Promise<FliteEngine> {
    const o = { ...FLITE_DEFAULTS, ...options };
    const { stdout } = await promisify(execFile)(o.command, ['-lv']).catch((err: Error) => {
      throw new ArcError('upstream', `flite is not usable (${err.message}); run scripts/ensure-system.sh`, {
        cause: err,
      });
    });
    const listed = stdout.replace(/^.*?:/s, '').trim().split(/\s+/);
    const engine = new FliteEngine(
      o,
      listed.filter((v) => v in VOICE_RATES),
    );
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
    const rate = VOICE_RATES[voice];
    if (rate === undefined || !this.available.includes(voice))
      throw unknownVoice(this.name, voice, this.available, this.options.voice);
    return rate;
  }

  /** One synthesis, so the binary and voice are in the page cache before the first request. */
  async warm(): Promise<void> {
    for await (const _ of this.synthesize('Ready.')) {
    }
  }

  synthesize(text: string, options: SynthesizeOptions = {}): AsyncIterable<TtsChunk> {
    const voice = options.voice ?? this.options.voice;
    const rate = this.sampleRateOf(voice);
    const clean = speakableText(text);
    const stretch =
      options.lengthScale && options.lengthScale !== 1 ? ['--setf', `duration_stretch=${options.lengthScale}`] : [];
    const command = this.options.command;
    return streamSpeech(
      clean,
      rate,
      async function* fliteChunk(chunk, _index, signal) {
        const file = join(tmpdir(), `arc-flite-${randomUUID()}.wav`);
        // The leading space keeps text that starts with "-" from being read as an option.
        const proc = await startEngineProcess('flite', command, [
          '-voice',
          voice,
          ...stretch,
          '-t',
          ` ${chunk}`,
          '-o',
          file,
        ]);
        try {
          await readAll(proc, signal);
          const status = await proc.exited;
          if (status.code !== 0) {
            throw new ArcError('upstream', `flite failed (exit ${status.code ?? status.signal}): ${proc.stderrTail}`);
          }
          yield readWav(await readFile(file)).samples;
        } finally {
          await proc.kill();
          await rm(file, { force: true });
        }
      },
      options,
    );
  }

  async close(): Promise<void> {}
}
