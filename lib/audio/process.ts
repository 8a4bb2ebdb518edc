// Engine child processes (flite, espeak-ng, pocketsphinx): spawned into their own process group, always reaped,
// killed whole on cancel; and a warm pool that keeps started processes waiting so no request pays start-up.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ArcError } from '../protocol/errors.js';

const STDERR_TAIL = 2048;
const live = new Set<number>();

/** Pids of engine processes this module started that have not exited yet (for tests and leak checks). */
export function liveChildren(): number[] {
  return [...live];
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started engine process. */
export class EngineProcess {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves once the process has exited and been reaped (never rejects). */
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;
  private errTail = '';

  constructor(
    readonly name: string,
    private readonly child: ChildProcessByStdio<Writable, Readable, Readable>,
  ) {
    if (child.pid === undefined) throw new ArcError('upstream', `${name} could not be started`);
    this.pid = child.pid;
    this.stdin = child.stdin;
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    live.add(this.pid);
    // A child that exits early makes writes fail with EPIPE; that surfaces through `exited`, not as a crash.
    child.stdin.on('error', () => {});
    child.stderr.on('data', (d: Buffer) => {
      this.errTail = (this.errTail + d.toString('utf8')).slice(-STDERR_TAIL);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(this.pid);
        this.status = { code, signal };
        resolve(this.status);
      });
    });
  }

  /** True until the process exits. */
  get running(): boolean {
    return this.status === undefined;
  }

  /** The last lines the process wrote to stderr. */
  get stderrTail(): string {
    return this.errTail.trim();
  }

  /** Kills the process (and its group, e.g. `sh -c 'a | b'`) and waits until it is reaped. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitStatus> {
    if (this.status) return this.status;
    try {
      process.kill(-this.pid, signal);
    } catch {
      this.child.kill(signal);
    }
    return this.exited;
  }
}

/**
 * Starts `command` in a new process group with piped stdio. Fails with `upstream` (naming the command) when
 * it cannot be executed at all, e.g. the Debian package is not installed.
 */
export async function startEngineProcess(name: string, command: string, args: string[]): Promise<EngineProcess> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new ArcError('upstream', `${name}: cannot run ${command} (${err.message})`, { cause: err })),
    );
  });
  return new EngineProcess(name, child);
}

/**
 * Runs `fn` when `signal` aborts, at once if it already has (a plain 'abort' listener never fires for a signal
 * aborted before it was added). Returns the function that removes the listener.
 */
export function whenAborted(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

/** Collects a process's whole stdout and waits for it to exit; kills it if `signal` aborts. */
export async function readAll(proc: EngineProcess, signal?: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  proc.stdout.on('data', (d: Buffer) => parts.push(d));
  const off = whenAborted(signal, () => void proc.kill());
  try {
    await Promise.all([proc.exited, new Promise((r) => proc.stdout.once('close', r))]);
  } finally {
    off();
  }
  signal?.throwIfAborted();
  return Buffer.concat(parts);
}

export interface WarmPoolOptions<T> {
  /** Processes kept started and waiting. */
  size: number;
  /** Starts one (loads its model); may reject, which the pool logs through `onError` and retries on demand. */
  create: () => Promise<T>;
  /** False once a waiting member died (it is then dropped, not handed out). */
  usable: (member: T) => boolean;
  dispose: (member: T) => Promise<unknown>;
  onError?: (err: unknown) => void;
  /**
   * Members come back after use (`give()`) instead of being used up: `take()` then starts no replacement,
   * and one is started only when none is waiting.
   */
  reusable?: boolean;
}

/**
 * Keeps `size` members started ahead of need. `take()` hands out a started one at once when there is one
 * (starting one otherwise) and starts its replacement in the background, off the caller's critical path.
 */
export class WarmPool<T> {
  private readonly ready: T[] = [];
  private readonly startingNow = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: WarmPoolOptions<T>) {}

  /** Members started and waiting now. */
  get idle(): number {
    return this.ready.length;
  }

  /** Fills the pool; resolves when every member has started (rejects if one cannot). */
  async fill(): Promise<void> {
    const missing = this.options.size - this.ready.length - this.startingNow.size;
    await Promise.all(Array.from({ length: Math.max(0, missing) }, () => this.startOne(true)));
  }

  async take(): Promise<T> {
    if (this.closed) throw new ArcError('unavailable', 'engine pool is closed');
    let member = this.ready.shift();
    while (member !== undefined && !this.options.usable(member)) {
      void this.options.dispose(member);
      member = this.ready.shift();
    }
    if (!this.options.reusable) this.refill();
    return member ?? this.options.create();
  }

  /** Hands back a reusable member: kept while the pool is short of `size`, else disposed. */
  give(member: T): void {
    const usable = this.options.usable(member);
    if (!this.closed && usable && this.ready.length < this.options.size) {
      this.ready.unshift(member); // the most recently used goes out first: its caches are warm
      return;
    }
    void this.options.dispose(member);
    if (!usable && this.options.reusable) this.refill(); // a broken member is replaced behind the caller
  }

  /** Stops every waiting member; later `take()` calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    // Members still starting are disposed as soon as they are up; wait for that too.
    await Promise.all([...this.startingNow].map((p) => p.catch(() => {})));
    await Promise.all(this.ready.splice(0).map((m) => this.options.dispose(m)));
  }

  private refill(): void {
    if (this.closed) return;
    const missing = this.options.size - this.ready.length - this.startingNow.size;
    for (let i = 0; i < missing; i++) void this.startOne(false);
  }

  private startOne(rethrow: boolean): Promise<void> {
    const started = (async () => {
      try {
        const member = await this.options.create();
        if (this.closed) await this.options.dispose(member);
        else this.ready.push(member);
      } catch (err) {
        if (rethrow) throw err;
        this.options.onError?.(err);
      }
    })();
    this.startingNow.add(started);
    const forget = () => this.startingNow.delete(started);
    started.then(forget, forget);
    return started;
  }
}
