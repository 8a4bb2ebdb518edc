// Child processes for the chaos and fault suites: start, wait for /_/ready, SIGKILL, and see who died unasked.
import { type ChildProcess, spawn } from 'node:child_process';
import { sleep } from '../../lib/util/abort.js';
import { freePort } from '../helpers/env.js';

export interface ChildReplica {
  name: string;
  url: string;
  child: ChildProcess;
  /** Output so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Set when the process ended without the test killing it. */
  readonly crashed: boolean;
  readonly alive: boolean;
  kill(): Promise<void>;
  /** SIGTERM and wait (graceful drain), for the end of a suite. */
  stop(): Promise<void>;
}

/** Starts `node --import tsx <entry>` with its own HTTP port; resolves once /_/ready answers 200. */
export async function startChild(
  name: string,
  entry: string,
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
): Promise<ChildReplica> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: {
      ...process.env,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      HOST: '127.0.0.1',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let killedByUs = false;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const replica: ChildReplica = {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    get crashed() {
      return !killedByUs && !replica.alive;
    },
    async kill() {
      killedByUs = true;
      if (!replica.alive) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      killedByUs = true;
      if (!replica.alive) return;
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (replica.alive) child.kill('SIGKILL');
      await exited;
    },
  };
  const until = Date.now() + readyTimeoutMs;
  for (;;) {
    if (!replica.alive) throw new Error(`${name} exited during start-up:\n${output}`);
    const ok = await fetch(`${replica.url}/_/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return replica;
    if (Date.now() > until) {
      await replica.kill();
      throw new Error(`${name} not ready within ${readyTimeoutMs} ms:\n${output}`);
    }
    await sleep(100);
  }
}

/** How many requests a replica is running now, from its own /metrics (arc_function_inflight). */
export async function inflight(replica: ChildReplica, fn: string): Promise<number> {
  const text = await fetch(`${replica.url}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const line = text.split('\n').find((l) => l.startsWith(`arc_function_inflight{function="${fn}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}
