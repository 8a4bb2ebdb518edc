// Runs the agent host as its own process, from source (tsx) or from the bundle through the image's entry, and
// watches it from outside: its log lines, its HTTP health, its exit.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NATS_URL } from '../helpers/env.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BUNDLE = join(ROOT, 'dist', 'agent-host.js');

export type HostMode = 'source' | 'bundle';

export interface HostProcess {
  proc: ChildProcess;
  /** Parsed JSON log lines (stdout), in order. */
  logs: Record<string, unknown>[];
  stderr: string[];
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line matching `pred` (past lines included). */
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** SIGTERM (if still running), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The command that starts the host: `tsx agent-host/main.ts`, or `node openfaas/entry.mjs` with the bundle. */
export function hostCommand(mode: HostMode): { args: string[]; env: Record<string, string> } {
  if (mode === 'source') return { args: ['--import', 'tsx', join(ROOT, 'agent-host', 'main.ts')], env: {} };
  if (!existsSync(BUNDLE)) throw new Error('dist/agent-host.js is missing: run `npm run build`');
  return {
    args: [join(ROOT, 'openfaas', 'entry.mjs')],
    env: { ARC_BUNDLE: BUNDLE, ARC_SECRETS_DIRS: join(ROOT, 'test', 'agent-host', 'no-secrets-here') },
  };
}

export function startHost(mode: HostMode, env: Record<string, string>, port: number): HostProcess {
  const { args, env: modeEnv } = hostCommand(mode);
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NATS_URL,
      LOG_LEVEL: 'info',
      PORT: String(port),
      ...modeEnv,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] =
    [];
  let buffered = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf('\n');
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = { msg: line, raw: true };
      }
      logs.push(parsed);
      for (const w of [...waiters]) {
        if (w.pred(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
      if (process.env.TEST_LOG_LEVEL === 'debug') process.stderr.write(`[host] ${line}\n`);
    }
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString('utf8'));
    if (process.env.TEST_LOG_LEVEL === 'debug') process.stderr.write(`[host:err] ${chunk}`);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => r({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    proc,
    logs,
    stderr,
    url,
    exited,
    waitForLog(pred, timeoutMs = 30_000) {
      const hit = logs.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no such host log line within ${timeoutMs} ms; stderr: ${stderr.join('').slice(-800)}`)),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    async getJson(path) {
      const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(3_000) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async stop(graceMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
