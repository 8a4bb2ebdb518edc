// The embedded shape of `npm start` for the load bench: PGlite hosted in this process, the four functions as warm
// child processes on NATS, and the agent host (Silero VAD, PocketSphinx, local sessions) in this process.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initializeLogger } from '@livekit/agents';
import { LocalSessionHost } from '../../agent-host/local/local-host.js';
import { FAST_SPEECH, loadSpeech } from '../../agent-host/speech.js';
import { FunctionClient } from '../../lib/bus/client.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { loadConfig } from '../../lib/config/index.js';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '../../lib/db/index.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { FUNCTION_NAMES, type FunctionName } from '../../lib/protocol/index.js';
import { benchContracts } from './contracts.js';

const root = resolve(import.meta.dirname, '../..');

export interface LoadStack {
  prefix: string;
  log: Logger;
  client: FunctionClient;
  host: LocalSessionHost;
  /** Function processes by name (for CPU accounting). */
  pids: Record<FunctionName, number>;
  stop(): Promise<void>;
}

/** Starts everything; `natsUrl` must answer (the bench starts a nats-server itself when none does). */
export async function startLoadStack(
  natsUrl: string,
  options: { decoders?: number; turnDetection?: 'vad' | 'transcript' } = {},
): Promise<LoadStack> {
  const { decoders, turnDetection } = options;
  initializeLogger({ pretty: false, level: 'error' });
  const log = createLogger('bench-load', 'error');
  const prefix = `load.${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'arc-load-'));
  const db: EmbeddedDatabase = await startEmbeddedDatabase({ dataDir, port: 0, log });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NATS_URL: natsUrl,
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
  };
  // No LLM_ENDPOINT / LLM_MODEL_PATH: the brain answers with the memory responder.
  const step = (what: string) => process.stderr.write(`  … ${what}\n`);
  step(`database ${db.url}; starting the functions`);
  const children = await Promise.all(FUNCTION_NAMES.map((name) => startFunction(name, prefix, env)));
  step('functions ready; loading VAD and STT');
  const config = loadConfig({ NATS_URL: natsUrl, LOG_LEVEL: 'error' });
  const link = new NatsLink({ servers: natsUrl, name: 'bench-load', log });
  await link.ready(10_000);
  const client = new FunctionClient({
    log,
    nats: link,
    contracts: benchContracts(prefix),
  }) as unknown as FunctionClient;
  step('NATS connected');
  const speech = await loadSpeech(config, decoders ? { ...FAST_SPEECH, poolSize: decoders } : FAST_SPEECH);
  const host = new LocalSessionHost(
    { client, log, vad: speech.vad, stt: speech.stt },
    { persist: true, greeting: null, ...(turnDetection ? { turnDetection } : {}) },
  );
  step('speech loaded');
  return {
    prefix,
    log,
    client,
    host,
    pids: Object.fromEntries(children.map((c, i) => [FUNCTION_NAMES[i], c.pid])) as Record<FunctionName, number>,
    async stop() {
      await host.closeAll();
      await Promise.all(children.map((c) => stopChild(c)));
      await speech.close();
      await link.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function startFunction(name: FunctionName, prefix: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load/function-process.ts', name, prefix], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after 120 s:\n${output}`)), 120_000);
    child.stdout?.on('data', (d: Buffer) => {
      output += d;
      if (output.includes('ready\n')) {
        clearTimeout(timer);
        resolveReady(child);
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready:\n${output}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const late = setTimeout(() => child.kill('SIGKILL'), 8_000);
  await exited;
  clearTimeout(late);
}

/** A nats-server child on a free port when nothing answers at `url`; undefined when one already does. */
export async function ensureNats(url: string): Promise<{ url: string; stop(): void } | undefined> {
  const u = new URL(url);
  if (await listening(u.hostname, Number(u.port || 4222))) return undefined;
  const port = 14_222 + Math.floor(Math.random() * 1000);
  const child = spawn(
    'nats-server',
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', mkdtempSync(join(tmpdir(), 'arc-load-nats-'))],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 50 && !(await listening('127.0.0.1', port)); i++) await new Promise((r) => setTimeout(r, 100));
  return { url: `nats://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = netConnect(port, host);
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

/** CPU seconds (user + system) a process has used so far: /proc for children, cpuUsage for this one. */
export function cpuSeconds(pid: number): number {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the command name), in clock ticks.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Busy and total CPU time of the whole machine so far (every process, every core), from /proc/stat. */
export function boxCpu(): { busy: number; total: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}
