// `npm start`'s launcher as a person runs it (scripts/start.ts, real child processes): it starts nats-server,
// PGlite, the four function bundles and the gateway with local mode; prints what it chose; serves a call;
// stops everything on SIGINT; and the next run finds the data of the last.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WS_PATH } from '../../lib/protocol/index.js';
import { freshDataDir } from '../brain/helpers/db.js';
import { TestSocket } from '../gateway/helpers.js';
import { freePort } from '../helpers/env.js';
import { ROOT } from './helpers.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
let url: string;
const userId = `launcher-${Date.now()}`;

interface Run {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function launch(): Run {
  // As `npm start` runs it, in a process group of its own, so a signal to the group is what a terminal's
  // Ctrl-C does.
  const proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, out: () => out, exited };
}

async function until(run: Run, text: string | RegExp, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (typeof text === 'string' ? run.out().includes(text) : text.test(run.out())) return;
    if (run.proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`launcher did not print ${text}:\n${run.out()}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  // What `npm start` runs before the launcher: the bundles it starts.
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: ROOT, stdio: 'pipe' });
  dataDir = await freshDataDir(); // an initialised PGlite cluster, as the first run would leave it
  const [natsPort, gatewayPort] = [await freePort(), await freePort()];
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    NATS_URL: `nats://127.0.0.1:${natsPort}`, // nothing there: the launcher must start nats-server itself
    GATEWAY_PORT: String(gatewayPort),
    LOG_LEVEL: 'info',
  };
  url = `http://127.0.0.1:${gatewayPort}`;
}, 60_000);

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start (scripts/start.ts)', () => {
  it('brings up the stack, says what it chose, serves a local call, and stops everything on SIGINT', async () => {
    const run = launch();
    try {
      await until(run, 'Talk to it:', 60_000);
      const out = run.out();
      expect(out).toMatch(/✓ nats\s+nats:\/\/127\.0\.0\.1:\d+ \(nats-server -js/);
      expect(out).toMatch(/✓ database\s+postgresql:\/\/postgres@127\.0\.0\.1:\d+/);
      for (const fn of ['brain', 'tts', 'embed', 'session-write'])
        expect(out).toMatch(new RegExp(`✓ ${fn}\\s+ready on :\\d+`));
      expect(out).toMatch(/LLM\s+none — memory responder/);
      expect(out).toMatch(/set LLM_ENDPOINT=/);
      expect(out).toMatch(/STT\s+PocketSphinx/);
      expect(out).toMatch(/TTS\s+flite \(voice slt\)/);
      expect(out).toMatch(/Embedder\s+use-lite-512/);
      expect(out).toContain(`Talk to it: ${url}`);
      expect(out).not.toMatch(/"level":/); // no raw JSON logs on the terminal

      const health = (await (await fetch(`${url}/api/health`)).json()) as { status: string };
      expect(health.status).toBe('ok');
      expect(await (await fetch(url)).text()).toContain('ARC Daredevil');
      const embed = await fetch(`${url}/function/embed`, { method: 'POST', body: JSON.stringify({ texts: ['hi'] }) });
      expect(embed.status).toBe(200);

      // A local-mode call over the real WebSocket: hello → ready, a second of silence, bye.
      const s = await TestSocket.connect(`${url.replace('http', 'ws')}${WS_PATH}`);
      s.hello(userId, 16000);
      const ready = await s.next('ready', 10_000);
      for (let i = 0; i < 50; i++) s.send(Buffer.alloc(640));
      s.send({ type: 'bye' });
      expect((await s.closed).code).toBe(1000);
      await expect
        .poll(
          async () =>
            (
              (await (await fetch(`${url}/api/memory/sessions?userId=${userId}`)).json()) as {
                sessions: { id: string }[];
              }
            ).sessions.map((x) => x.id),
          { timeout: 10_000 },
        )
        .toEqual([ready.sessionId]);

      // A function that crashes is restarted, and the stack is healthy again.
      const pidsFile = join(dataDir, 'launcher-children.json');
      const before = (JSON.parse(readFileSync(pidsFile, 'utf8')) as { pids: number[] }).pids;
      expect(before).toHaveLength(5); // four functions + nats-server
      process.kill(before[1] as number, 'SIGKILL'); // tts
      await until(run, 'tts exited unexpectedly (code SIGKILL); restarting it', 5_000);
      await expect
        .poll(async () => (await fetch(`${url}/api/health`)).status, { timeout: 20_000, interval: 250 })
        .toBe(200);
      const { pids } = JSON.parse(readFileSync(pidsFile, 'utf8')) as { pids: number[] };
      expect(pids[1]).not.toBe(before[1]);
      process.kill(-(run.proc.pid as number), 'SIGINT'); // Ctrl-C: the whole foreground group
      expect(await run.exited, run.out()).toBe(0);
      expect(run.out()).toContain('stopped; data kept in');
      expect(run.out()).not.toContain('second interrupt');
      for (const fn of ['brain', 'tts', 'embed', 'session-write']) {
        expect(readFileSync(join(dataDir, 'logs', `${fn}.log`), 'utf8')).toMatch(/--- exited code=0 signal=null\n$/);
      }
      for (const pid of pids) expect(alive(pid), `pid ${pid} still running`).toBe(false);
      await expect(fetch(`${url}/api/health`)).rejects.toThrow();
    } finally {
      if (run.proc.exitCode === null) process.kill(-(run.proc.pid as number), 'SIGKILL');
    }
  }, 90_000);

  it('the next run keeps the data: the earlier session is still there', async () => {
    const run = launch();
    try {
      await until(run, 'Talk to it:', 60_000);
      const { sessions } = (await (await fetch(`${url}/api/memory/sessions?userId=${userId}`)).json()) as {
        sessions: { id: string; endTime: string | null }[];
      };
      expect(sessions).toHaveLength(1);
      expect(sessions[0]?.endTime).not.toBeNull();
      const { pids } = JSON.parse(readFileSync(join(dataDir, 'launcher-children.json'), 'utf8')) as { pids: number[] };
      process.kill(-(run.proc.pid as number), 'SIGTERM');
      expect(await run.exited, run.out()).toBe(0);
      for (const pid of pids) expect(alive(pid), `pid ${pid} still running`).toBe(false);
    } finally {
      if (run.proc.exitCode === null) process.kill(-(run.proc.pid as number), 'SIGKILL');
    }
  }, 90_000);
});
