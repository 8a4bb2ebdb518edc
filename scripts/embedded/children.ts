// Child processes of the embedded launcher: each function bundle and nats-server. Output goes to
// DATA_DIR/logs/<name>.log; warnings and errors also reach the terminal, one short line each.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  logDir: string;
  /** A parsed JSON log line of the child (pino), for picking facts out of it. */
  onLog?: (line: Record<string, unknown>) => void;
  /** Terminal output (warnings, errors, exits). */
  say: (text: string) => void;
  /** Called after each spawn (the first and every restart). */
  onSpawn?: () => void;
}

/** pino level numbers at or above which a child's line is shown on the terminal. */
const WARN = 40;

export class Child {
  private proc: ChildProcess | undefined;
  private readonly log: WriteStream;
  private stopping = false;
  private readonly tail: string[] = [];
  exitCode: number | null = null;
  /** Resolves when the process is gone for good (stopped, or crashed with no restart left). */
  readonly exited: Promise<number | null>;
  private resolveExit: (code: number | null) => void = () => {};
  /** Restart after a crash, at most 5 times in 5 minutes (a load-time race deserves another go). */
  restartable = true;
  /** True once it exited for good without being asked to stop. */
  failed = false;
  private restarts: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(readonly spec: ChildSpec) {
    this.log = createWriteStream(join(spec.logDir, `${spec.name}.log`), { flags: 'a' });
    this.exited = new Promise((r) => {
      this.resolveExit = r;
    });
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Last lines of output (for explaining a failed start). */
  lastLines(n = 8): string[] {
    return this.tail.slice(-n);
  }

  start(): void {
    const { spec } = this;
    this.log.write(`\n--- ${new Date().toISOString()} starting ${spec.command} ${spec.args.join(' ')}\n`);
    // Own process group: a Ctrl-C in the terminal reaches the launcher, which stops children in order.
    const proc = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.proc = proc;
    spec.onSpawn?.();
    for (const stream of [proc.stdout, proc.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
    proc.on('error', (err) => {
      this.spec.say(`${spec.name}: could not start ${spec.command}: ${err.message}`);
    });
    proc.on('exit', (code, signal) => {
      this.exitCode = code;
      this.log.write(`--- exited code=${code} signal=${signal}\n`);
      if (this.stopping) return this.resolveExit(code);
      const now = Date.now();
      this.restarts = this.restarts.filter((t) => now - t < 300_000);
      if (this.restartable && this.restarts.length < 5) {
        this.restarts.push(now);
        this.spec.say(`${spec.name} exited unexpectedly (code ${code ?? signal}); restarting it`);
        this.restartTimer = setTimeout(() => this.start(), 1_000);
        return;
      }
      this.spec.say(`${spec.name} exited unexpectedly (code ${code ?? signal}); see ${spec.logDir}/${spec.name}.log`);
      this.failed = true;
      this.resolveExit(code);
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const proc = this.proc;
    if (!proc || !this.running) {
      this.resolveExit(this.exitCode);
      return;
    }
    proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) {
        this.spec.say(`${this.spec.name} did not stop within ${graceMs} ms: killing it`);
        // The whole group: engine processes it started (flite, pocketsphinx) go with it.
        try {
          process.kill(-(proc.pid as number), 'SIGKILL');
        } catch {
          proc.kill('SIGKILL');
        }
      }
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
    this.log.end();
  }

  /** At once, the whole process group (second Ctrl-C). */
  kill(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (!this.running || !this.proc?.pid) return;
    try {
      process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      this.proc.kill('SIGKILL');
    }
  }

  private onLine(line: string): void {
    this.log.write(`${line}\n`);
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
    let parsed: Record<string, unknown> | undefined;
    if (line.startsWith('{')) {
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = undefined;
      }
    }
    if (!parsed) return;
    this.spec.onLog?.(parsed);
    const level = typeof parsed.level === 'number' ? parsed.level : levelNumber(parsed.level);
    if (level >= WARN) {
      const err = (parsed.err as { message?: string } | string | undefined) ?? undefined;
      const detail = typeof err === 'string' ? err : err?.message;
      this.spec.say(`${this.spec.name}: ${parsed.msg ?? ''}${detail ? ` — ${detail}` : ''}`);
    }
  }
}

function levelNumber(level: unknown): number {
  return { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }[String(level)] ?? 30;
}

/** True when something accepts TCP connections on host:port. */
export function listening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function waitListening(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await listening(host, port)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
