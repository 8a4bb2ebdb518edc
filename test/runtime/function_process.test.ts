// A function as its own process: starts, serves NATS and HTTP, drains on SIGTERM, refuses bad config by name.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../../lib/util/abort.js';
import { echoContracts } from '../fixtures/echo.js';
import { freePort, NATS_URL } from '../helpers/env.js';
import { testClient } from '../helpers/replicas.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/echo-main.ts'], {
    env: { ...process.env, NATS_URL, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitReady(url: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await fetch(`${url}/_/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${url} not ready in ${timeoutMs} ms`);
}

describe('function process', () => {
  it('SIGTERM: the in-flight request completes, no new request is taken, the process exits 0', async () => {
    const prefix = `proc.${randomUUID().slice(0, 8)}`;
    const port = await freePort();
    const proc = startProcess({ FIXTURE_PREFIX: prefix, PORT: String(port), SHUTDOWN_GRACE_MS: '5000' });
    await waitReady(`http://127.0.0.1:${port}`);
    const contracts = echoContracts(prefix);
    const t = await testClient(contracts);
    try {
      expect((await t.client.call('echo', { text: 'up' })).transport).toBe('nats');
      const inFlight = t.client.call('echo', { text: 'finish me', delayMs: 800 });
      await sleep(150);
      proc.child.kill('SIGTERM');
      await sleep(150);
      // After SIGTERM the queue subscription is gone: a new call finds no responders.
      await expect(t.client.call('echo', { text: 'too late' }, { transports: ['nats'] })).rejects.toMatchObject({
        code: 'unavailable',
      });
      expect(await inFlight).toMatchObject({ text: 'finish me', transport: 'nats' });
      expect(await proc.exited).toBe(0);
      const lines = proc
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.find((l) => l.msg === 'draining')).toMatchObject({ inflight: 1 });
      expect(lines.find((l) => l.msg === 'stopped')).toMatchObject({ completed: true, aborted: 0 });
      // Every log line is structured JSON naming the component.
      expect(lines.every((l) => l.svc === 'echo' && typeof l.time === 'string')).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('a bad environment value stops start-up with a message naming the variable (exit 78)', async () => {
    const proc = startProcess({ FIXTURE_PREFIX: 'x', PORT: 'eighty', NATS_URL: 'http://not-nats' });
    expect(await proc.exited).toBe(78);
    expect(proc.output()).toMatch(/PORT: .*"eighty"/);
    expect(proc.output()).toMatch(/NATS_URL: must be a comma-separated list of nats:\/\/host:port/);
  });
});
