// The `native` back end: libpocketsphinx (Debian's libpocketsphinx3) called in this process through koffi.
// Every decoder call runs on libuv's thread pool (koffi's async calls), one at a time per decoder, so the
// event loop never waits on the search. The decoder is reused from utterance to utterance: no process, no
// model load per utterance; partial hypotheses as audio arrives; the final needs only ps_end_utt (~10 ms).
import { createRequire } from 'node:module';
import { concatPcm } from '../../../audio/pcm.js';
import { ArcError } from '../../../protocol/errors.js';
import { decoderArgs, SPHINX_DEFAULTS, SPHINX_RATE, type SphinxOptions, type UtteranceDecoder } from './options.js';

type Async = { async: (...args: unknown[]) => void };
type Fn<A extends unknown[], R> = ((...args: A) => R) & Async;

interface SphinxLibrary {
  cmd_ln_init: Fn<unknown[], unknown>;
  cmd_ln_free_r: Fn<[unknown], number>;
  ps_args: Fn<[], unknown>;
  ps_init: Fn<[unknown], unknown>;
  ps_free: Fn<[unknown], number>;
  ps_start_utt: Fn<[unknown], number>;
  ps_end_utt: Fn<[unknown], number>;
  ps_process_raw: Fn<[unknown, Int16Array, number, number, number], number>;
  ps_get_hyp: Fn<[unknown, number[]], string | null>;
  ps_get_in_speech: Fn<[unknown], number>;
}

let library: SphinxLibrary | undefined;

/** Binds libpocketsphinx once per process; `unavailable` when koffi or the library is missing. */
export function loadSphinxLibrary(): SphinxLibrary {
  if (library) return library;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const base = koffi.load('libsphinxbase.so.3');
    const ps = koffi.load('libpocketsphinx.so.3');
    library = {
      cmd_ln_init: base.func('void *cmd_ln_init(void *inout, void *defn, int strict, ...)'),
      cmd_ln_free_r: base.func('int cmd_ln_free_r(void *cmdln)'),
      ps_args: ps.func('void *ps_args()'),
      ps_init: ps.func('void *ps_init(void *config)'),
      ps_free: ps.func('int ps_free(void *ps)'),
      ps_start_utt: ps.func('int ps_start_utt(void *ps)'),
      ps_end_utt: ps.func('int ps_end_utt(void *ps)'),
      ps_process_raw: ps.func(
        'int ps_process_raw(void *ps, const int16_t *data, size_t n, int no_search, int full_utt)',
      ),
      ps_get_hyp: ps.func('const char *ps_get_hyp(void *ps, _Out_ int32_t *score)'),
      ps_get_in_speech: ps.func('uint8_t ps_get_in_speech(void *ps)'),
    } as unknown as SphinxLibrary;
    return library;
  } catch (err) {
    throw new ArcError('unavailable', `libpocketsphinx cannot be loaded in-process: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** A koffi async call as a promise. */
function call<R>(fn: Async, ...args: unknown[]): Promise<R> {
  return new Promise((resolve, reject) =>
    fn.async(...args, (err: unknown, res: R) => (err ? reject(err) : resolve(res))),
  );
}

/** Samples per decoder call (pocketsphinx_continuous reads 2048 at a time). */
const BLOCK = 2048;
/** Audio between partial-hypothesis reads (a backtrace each): often enough for live captions. */
const PARTIAL_EVERY_SAMPLES = SPHINX_RATE / 10;

let nextId = 0;

export class NativeSphinxDecoder implements UtteranceDecoder {
  readonly id = `sphinx-native-${++nextId}`;
  private readonly segments: string[] = [];
  private segmentListener: ((text: string) => void) | undefined;
  private partialListener: ((text: string) => void) | undefined;
  private pending: Int16Array[] = [];
  /** The one decoder call chain: every call waits for the previous one. */
  private chain: Promise<void> = Promise.resolve();
  private pumping = false;
  private inUtterance = false;
  private speechSeen = false;
  private samples = 0;
  private sinceHyp = 0;
  private lastPartial = '';
  private freed = false;
  private failure: unknown;

  private constructor(
    private readonly lib: SphinxLibrary,
    private readonly ps: unknown,
  ) {}

  /** Loads the model into a new decoder (~300 ms, off the event loop). */
  static async create(options: Partial<SphinxOptions> = {}): Promise<NativeSphinxDecoder> {
    const lib = loadSphinxLibrary();
    const o = { ...SPHINX_DEFAULTS, ...options };
    const pairs = [...decoderArgs(o), '-logfn', '/dev/null'];
    const config = lib.cmd_ln_init(null, lib.ps_args(), 1, ...pairs.flatMap((a) => ['str', a]), 'void *', null);
    if (!config) throw new ArcError('invalid_request', `pocketsphinx rejected its arguments: ${pairs.join(' ')}`);
    const ps = await call<unknown>(lib.ps_init, config);
    lib.cmd_ln_free_r(config); // the decoder holds its own reference
    if (!ps) throw new ArcError('upstream', 'pocketsphinx could not load its model (check hmm/lm/dict)');
    return new NativeSphinxDecoder(lib, ps);
  }

  get alive(): boolean {
    return !this.freed && this.failure === undefined;
  }

  get audioSeconds(): number {
    return this.samples / SPHINX_RATE;
  }

  onSegment(listener: (text: string) => void): void {
    this.segmentListener = listener;
  }

  onPartial(listener: (text: string) => void): void {
    this.partialListener = listener;
  }

  write(samples: Int16Array): void {
    if (!this.alive) throw new Error('NativeSphinxDecoder.write on a freed or failed decoder');
    this.pending.push(samples.slice()); // the caller may reuse its buffer while the search runs
    this.samples += samples.length;
    if (!this.pumping) this.pump();
  }

  async finish(signal?: AbortSignal): Promise<string> {
    this.pump();
    const done = this.enqueue(async () => {
      if (this.inUtterance) {
        await call(this.lib.ps_end_utt, this.ps);
        this.inUtterance = false;
        await this.closeSegment(); // whatever the endpointer has not closed yet
      }
    });
    await done;
    if (this.failure !== undefined) throw this.failure;
    const text = this.segments.join(' ');
    this.reset();
    signal?.throwIfAborted();
    return text;
  }

  async kill(): Promise<void> {
    if (this.freed) return;
    this.freed = true;
    await this.chain.catch(() => {});
    this.lib.ps_free(this.ps);
  }

  /** Feeds what is pending as one call, then looks at speech state and the partial hypothesis. */
  private pump(): void {
    if (this.pending.length === 0) return;
    this.pumping = true;
    void this.enqueue(async () => {
      while (this.pending.length > 0 && !this.freed) {
        const all = concatPcm(this.pending);
        this.pending = [];
        // Blocks of at most 2048 samples, as pocketsphinx_continuous reads: the endpointer looks after each.
        for (let at = 0; at < all.length && !this.freed; at += BLOCK) {
          await this.process(all.subarray(at, at + BLOCK));
        }
      }
    }).finally(() => {
      this.pumping = false;
    });
  }

  private async process(audio: Int16Array): Promise<void> {
    if (!this.inUtterance) {
      await call(this.lib.ps_start_utt, this.ps);
      this.inUtterance = true;
    }
    await call(this.lib.ps_process_raw, this.ps, audio, audio.length, 0, 0);
    await this.endpoint();
    this.sinceHyp += audio.length;
    if (this.sinceHyp >= PARTIAL_EVERY_SAMPLES && this.inUtterance) {
      this.sinceHyp = 0;
      const hyp = (await call<string | null>(this.lib.ps_get_hyp, this.ps, [0])) ?? '';
      if (hyp && hyp !== this.lastPartial) {
        this.lastPartial = hyp;
        this.partialListener?.(hyp);
      }
    }
  }

  /** As pocketsphinx_continuous does: a segment ends when the decoder's own VAD hears speech stop. */
  private async endpoint(): Promise<void> {
    const inSpeech = this.lib.ps_get_in_speech(this.ps) !== 0; // reads a flag: no search work
    if (inSpeech) this.speechSeen = true;
    else if (this.speechSeen) {
      await call(this.lib.ps_end_utt, this.ps);
      this.inUtterance = false;
      await this.closeSegment();
    }
  }

  private async closeSegment(): Promise<void> {
    const hyp = ((await call<string | null>(this.lib.ps_get_hyp, this.ps, [0])) ?? '').trim();
    this.speechSeen = false;
    this.lastPartial = '';
    if (!hyp) return;
    this.segments.push(hyp);
    this.segmentListener?.(hyp);
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.freed || this.failure !== undefined) return;
      try {
        await step();
      } catch (err) {
        this.failure = new ArcError('upstream', `pocketsphinx failed: ${(err as Error).message}`, { cause: err });
      }
    });
    this.chain = next;
    return next;
  }

  private reset(): void {
    this.segments.length = 0;
    this.samples = 0;
    this.sinceHyp = 0;
    this.lastPartial = '';
    this.speechSeen = false;
    this.segmentListener = undefined;
    this.partialListener = undefined;
  }
}
