// The `process` back end: one PocketSphinx decoder process (Debian's pocketsphinx_continuous) fed raw 16 kHz PCM on stdin. It loads
// its model when started (~250–350 ms, paid in the warm pool, not by the caller), decodes audio as it arrives,
// prints a line per segment its own endpointer closes, and the rest when stdin ends.
import { createInterface } from 'node:readline';
import { pcmToBytes } from '../../../audio/pcm.js';
import { type EngineProcess, startEngineProcess, whenAborted } from '../../../audio/process.js';
import { ArcError } from '../../../protocol/errors.js';
import { decoderArgs, SPHINX_DEFAULTS, SPHINX_RATE, type SphinxOptions, type UtteranceDecoder } from './options.js';

/** Printed by pocketsphinx_continuous after the model is loaded, just before it reads audio. */
const READY_MARK = 'COMPILED ON';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class SphinxDecoder implements UtteranceDecoder {
  /** Segments printed so far, in order. */
  readonly segments: string[] = [];
  /** Resolves when the model is loaded and the decoder is reading audio. */
  readonly ready: Promise<void>;
  private samplesIn = 0;
  private ended = false;
  private listener: ((text: string) => void) | undefined;
  private readonly outputDone: Promise<void>;

  private constructor(private readonly proc: EngineProcess) {
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      const text = line.trim();
      if (!text) return;
      this.segments.push(text);
      this.listener?.(text);
    });
    this.outputDone = new Promise((r) => lines.once('close', r));
    this.ready = new Promise((resolve, reject) => {
      let seen = '';
      const onData = (d: Buffer) => {
        seen = (seen + d.toString('latin1')).slice(-4096);
        if (seen.includes(READY_MARK)) {
          proc.stderr.off('data', onData);
          resolve();
        }
      };
      proc.stderr.on('data', onData);
      void proc.exited.then((s) =>
        reject(
          new ArcError(
            'upstream',
            `pocketsphinx exited while loading (exit ${s.code ?? s.signal}): ${proc.stderrTail.slice(-300)}`,
          ),
        ),
      );
    });
    this.ready.catch(() => {});
  }

  /**
   * Starts a decoder. Node gives children sockets, not pipes, for stdio, and pocketsphinx can only read a path:
   * `cat` turns the socket into a pipe that `/dev/stdin` can open.
   */
  static async start(options: Partial<SphinxOptions> = {}): Promise<SphinxDecoder> {
    const o = { ...SPHINX_DEFAULTS, ...options };
    const args = ['-infile', '/dev/stdin', ...decoderArgs(o)];
    const script = `cat | exec ${[o.command, ...args].map(quote).join(' ')}`;
    return new SphinxDecoder(await startEngineProcess('pocketsphinx', 'sh', ['-c', script]));
  }

  get pid(): number {
    return this.proc.pid;
  }

  get id(): string {
    return `sphinx-${this.proc.pid}`;
  }

  /** pocketsphinx_continuous prints no partial hypotheses. */
  onPartial(): void {}

  /** Still running (a decoder that died waiting in a pool must not be handed out). */
  get alive(): boolean {
    return this.proc.running && !this.ended;
  }

  /** Seconds of audio fed so far. */
  get audioSeconds(): number {
    return this.samplesIn / SPHINX_RATE;
  }

  /** Called with each segment as the decoder prints it. */
  onSegment(listener: (text: string) => void): void {
    this.listener = listener;
  }

  /** Feeds 16 kHz mono samples. */
  write(samples: Int16Array): void {
    if (this.ended) throw new Error('SphinxDecoder.write after finish');
    this.samplesIn += samples.length;
    // Copy: the caller may reuse its buffer before the socket has written it.
    this.proc.stdin.write(Buffer.from(pcmToBytes(samples)));
  }

  /** Ends the audio and waits for the last segment; returns the whole transcript. Kills it on abort. */
  async finish(signal?: AbortSignal): Promise<string> {
    this.ended = true;
    this.proc.stdin.end();
    const off = whenAborted(signal, () => void this.proc.kill());
    try {
      const status = await this.proc.exited;
      signal?.throwIfAborted();
      if (status.code !== 0) {
        throw new ArcError(
          'upstream',
          `pocketsphinx failed (exit ${status.code ?? status.signal}): ${this.proc.stderrTail.slice(-300)}`,
        );
      }
      await this.outputDone; // the last line may arrive after the exit
      return this.segments.join(' ');
    } finally {
      off();
    }
  }

  async kill(): Promise<void> {
    this.ended = true;
    await this.proc.kill();
  }
}
