// `npm start`: the whole stack on one machine, no containers — the embedded launcher, the one place where the
// embedded wiring lives. It starts nats-server (JetStream) as a child unless one already listens on NATS_URL,
// hosts the PGlite database, runs each function bundle as a warm child process on NATS, and runs the agent
// host (local mode) and the web gateway in this process. Ctrl-C stops everything in order; DATA_DIR keeps the
// data (database, JetStream, logs) between runs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { stt } from '@livekit/agents';
import { initializeLogger, type VAD } from '@livekit/agents';
import { LocalSessionHost } from '../agent-host/local/local-host.js';
import { PhraseCache } from '../agent-host/plugins/phrases.js';
import { sessionOptionsFromConfig, warmPhrases } from '../agent-host/session.js';
import { loadSpeech } from '../agent-host/speech.js';
import { startGateway } from '../gateway/server.js';
import { FunctionClient } from '../lib/bus/client.js';
import { NatsLink } from '../lib/bus/nats-link.js';
import { type Config, loadConfig, loadConfigOrExit } from '../lib/config/index.js';
import { createPool, type EmbeddedDatabase, startEmbeddedDatabase } from '../lib/db/index.js';
import { FUNCTION_NAMES, type FunctionName } from '../lib/protocol/index.js';
import { collectProcessMetrics } from '../lib/telemetry/metrics.js';
import { startTracing } from '../lib/telemetry/tracing.js';
import { Child, listening, waitListening } from './embedded/children.js';
import { describeEngines, EngineFacts } from './embedded/engines.js';
import { localSessionsFrom } from './embedded/local-sessions.js';
import { bold, cyan, dim, green, launcherLogger, red, say, seconds, yellow } from './embedded/terminal.js';

const root = resolve(import.meta.dirname, '..');
/** Preferred HTTP ports of the functions (another free port is taken when one is busy). */
const FUNCTION_PORT_BASE = 8081;
/** How long a function may take to load its models before the launcher gives up. */
const READY_TIMEOUT_MS = 180_000;
/** Child pids of the last run, so a launcher that was killed hard does not leave them running. */
const PIDS_FILE = 'launcher-children.json';

async function main(): Promise<void> {
  const started = performance.now();
  const config = loadConfigOrExit();
  const dataDir = config.dataDir;
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const log = launcherLogger(config.logLevel === 'silent' ? 'fatal' : config.logLevel, join(logDir, 'launcher.log'));
  say(`${bold('ARC Daredevil')} ${dim(`— embedded stack · data in ${dataDir} · logs in ${logDir}`)}`);
  killLeftovers(dataDir);

  // This process hosts the sessions: its metrics are on the gateway's /metrics, its turns traced when asked.
  collectProcessMetrics();
  const tracing = await startTracing({ serviceName: 'arc-launcher', endpoint: config.otlpEndpoint, log });
  const stack = new Stack(config, log);
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C can reach this process twice (directly, and forwarded by npm): only a second
    // interrupt a moment later means "again". (`npm start` runs this file with `node --import tsx`, not the
    // tsx CLI, whose signal relay SIGKILLs a child that takes more than 60 ms to acknowledge a signal.)
    if (firstSignalAt !== 0 && Date.now() - firstSignalAt < 1_000) return;
    if (firstSignalAt !== 0) {
      say(red('second interrupt: killing everything now'));
      stack.killNow();
      process.exit(130);
    }
    firstSignalAt = Date.now();
    say(`\n${yellow(`${signal}: stopping…`)} ${dim('(Ctrl-C again to kill at once)')}`);
    void stack
      .stop()
      .then(() => tracing?.shutdown())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await stack.start(logDir);
  } catch (err) {
    say(`\n${red('start failed:')} ${(err as Error).message}`);
    await stack.stop();
    process.exit(1);
  }
  say(dim(`  up in ${seconds(performance.now() - started)} · Ctrl-C stops everything`));
}

class Stack {
  private readonly children: Child[] = [];
  private nats: Child | undefined;
  private db: EmbeddedDatabase | undefined;
  private link: NatsLink | undefined;
  private host: LocalSessionHost | undefined;
  private gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  private pool: ReturnType<typeof createPool> | undefined;
  private stt: stt.STT | undefined;
  private inproc: { stop(graceMs?: number): Promise<unknown> }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly config: Config,
    private readonly log: ReturnType<typeof launcherLogger>,
  ) {}

  async start(logDir: string): Promise<void> {
    const { config, log } = this;
    const gatewayPort = config.gatewayPort;
    if (await listening('127.0.0.1', gatewayPort)) {
      throw new Error(
        `port ${gatewayPort} is in use (another npm start?). Stop it, or set GATEWAY_PORT to another port.`,
      );
    }
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;

    // 1. NATS
    const natsUrl = await this.startNats(logDir);

    // 2. Database: hosted once here; every child joins through DATABASE_URL.
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      step('database', 'PGlite + pgvector (embedded)…');
      const t = performance.now();
      this.db = await startEmbeddedDatabase({ dataDir: config.dataDir, port: config.db.embeddedPort, log });
      databaseUrl = this.db.url;
      done('database', `${databaseUrl} ${dim(`(${seconds(performance.now() - t)})`)}`);
    } else {
      done('database', `DATABASE_URL ${dim('(external)')}`);
    }

    // 3. Functions as warm child processes (or in this process when there is no NATS at all).
    const ports = await pickPorts();
    const facts = new EngineFacts();
    const voice = loadVoice(config); // Silero + STT load while the functions load
    if (natsUrl) {
      this.startFunctionChildren({ natsUrl, databaseUrl, ports, gatewayUrl, logDir, facts });
      await this.waitForFunctions(ports);
    } else {
      await this.startFunctionsInProcess(databaseUrl, ports);
    }
    const { vad, stt: recogniser, sttLabel } = await voice;
    this.stt = recogniser;

    // 4. Agent host (local mode) and gateway, in this process.
    this.link = natsUrl ? new NatsLink({ servers: natsUrl, name: 'launcher', log }) : NatsLink.offline(log);
    if (natsUrl) await this.link.ready(5_000);
    const client = new FunctionClient({
      log,
      nats: natsUrl ? this.link : undefined,
      http: (name) =>
        ports[name as FunctionName] ? `http://127.0.0.1:${ports[name as FunctionName]}/function/${name}` : undefined,
      httpAuth: config.functionAuth,
    });
    // Greeting and apology synthesised once, as the room-mode host does; events go to agent.events.<id>.
    const phrases = new PhraseCache();
    await warmPhrases({ client, log, phrases }, sessionOptionsFromConfig(config)).catch((err: Error) =>
      log.warn({ err: err.message }, 'greeting and apology not pre-synthesised; they will be spoken live'),
    );
    this.host = new LocalSessionHost(
      { client, log, vad, stt: recogniser, nats: natsUrl ? this.link : undefined, phrases },
      { persist: true, ...sessionOptionsFromConfig(config) },
    );
    this.pool = createPool({ url: databaseUrl, max: 4, statementTimeoutMs: config.db.statementTimeoutMs, log });
    const pool = this.pool;
    const link = this.link;
    this.gateway = await startGateway({
      config,
      log,
      port: gatewayPort,
      host: '127.0.0.1',
      webRoot: join(root, 'dist', 'web'),
      nats: natsUrl ? link : undefined,
      client,
      db: {
        query: pool.query.bind(pool),
        ping: () =>
          pool.query('SELECT 1').then(
            () => true,
            () => false,
          ),
      },
      functions: FUNCTION_NAMES.map((name) => ({ name, readyUrl: `http://127.0.0.1:${ports[name]}/_/ready` })),
      functionRoute: (name, path) =>
        ports[name as FunctionName]
          ? `http://127.0.0.1:${ports[name as FunctionName]}${path || `/function/${name}`}`
          : undefined,
      local: localSessionsFrom(this.host),
    });
    if (!existsSync(join(root, 'dist', 'web', 'index.html'))) {
      say(yellow('  the web client is not built: run `npm run build` (npm start does it)'));
    }
    this.summary({ facts, sttLabel, natsUrl, databaseUrl, ports });
  }

  private async startNats(logDir: string): Promise<string | undefined> {
    const { config } = this;
    const first = (config.natsUrl.split(',')[0] ?? '').trim();
    const u = new URL(first.includes('://') ? first : `nats://${first}`);
    const host = u.hostname;
    const port = Number(u.port || 4222);
    if (await listening(host, port)) {
      done('nats', `${config.natsUrl} ${dim('(already running, reused)')}`);
      return config.natsUrl;
    }
    if (host !== '127.0.0.1' && host !== 'localhost') {
      throw new Error(`NATS_URL points at ${host}:${port}, which does not answer; start that server first`);
    }
    const store = join(config.dataDir, 'nats');
    mkdirSync(store, { recursive: true });
    const child = new Child({
      name: 'nats',
      command: 'nats-server',
      args: ['-a', host, '-p', String(port), '-js', '-sd', store],
      logDir,
      say: (t) => say(`  ${yellow('nats')} ${t}`),
    });
    child.start();
    const up = await Promise.race([waitListening(host, port, 5_000), child.exited.then(() => false)]);
    if (!up) {
      await child.stop(500);
      say(
        yellow(
          '  nats-server could not start (install it: bash scripts/ensure-system.sh); running the functions in this process instead',
        ),
      );
      return undefined;
    }
    this.nats = child;
    this.recordPids();
    done('nats', `nats://${host}:${port} ${dim(`(nats-server -js, store ${store})`)}`);
    return `nats://${host}:${port}`;
  }

  private startFunctionChildren(o: {
    natsUrl: string;
    databaseUrl: string;
    ports: Record<FunctionName, number>;
    gatewayUrl: string;
    logDir: string;
    facts: EngineFacts;
  }): void {
    const { config } = this;
    for (const name of FUNCTION_NAMES) {
      const bundle = join(root, 'dist', 'functions', `${name}.js`);
      if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` (npm start does it)`);
      const child = new Child({
        name,
        command: process.execPath,
        args: ['--enable-source-maps', bundle],
        env: {
          ...process.env,
          PORT: String(o.ports[name]),
          // Only this machine reaches the functions: the gateway is the way in from outside.
          HOST: '127.0.0.1',
          NATS_URL: o.natsUrl,
          DATABASE_URL: o.databaseUrl,
          DATA_DIR: config.dataDir,
          // info at least: the launcher reads which engine each function loaded from its log.
          LOG_LEVEL: ['debug', 'trace'].includes(config.logLevel) ? config.logLevel : 'info',
          // The HTTP fallback between functions goes through the gateway's /function/<name>, as on OpenFaaS.
          FUNCTION_GATEWAY_URL: o.gatewayUrl,
        },
        logDir: o.logDir,
        onLog: o.facts.collect(name),
        onSpawn: () => this.recordPids(),
        say: (t) => {
          // The summary explains the missing LLM; no need to shout it while loading.
          if (!t.includes('no LLM configured')) say(`  ${yellow(name)} ${t}`);
        },
      });
      this.children.push(child);
      child.start();
    }
  }

  /** Polls each function's /_/ready, printing progress; fails fast when one exits. */
  private async waitForFunctions(ports: Record<FunctionName, number>): Promise<void> {
    const t0 = performance.now();
    const pending = new Set<FunctionName>(FUNCTION_NAMES);
    step('functions', `loading ${FUNCTION_NAMES.join(', ')} (models load once, then stay warm)…`);
    let lastNote = performance.now();
    while (pending.size > 0) {
      for (const name of [...pending]) {
        const child = this.children.find((c) => c.spec.name === name);
        if (child?.failed) {
          const tail = child.lastLines(6).map((l) => `      ${l.slice(0, 200)}`);
          throw new Error(
            `${name} kept exiting while loading (code ${child.exitCode}). Last lines:\n${tail.join('\n')}`,
          );
        }
        const ready = await fetch(`http://127.0.0.1:${ports[name]}/_/ready`, { signal: AbortSignal.timeout(1_000) })
          .then((r) => r.ok)
          .catch(() => false);
        if (ready) {
          pending.delete(name);
          done(name, `ready on :${ports[name]} ${dim(`(${seconds(performance.now() - t0)})`)}`);
        }
      }
      const waited = performance.now() - t0;
      if (pending.size > 0 && performance.now() - lastNote > 5_000) {
        lastNote = performance.now();
        say(dim(`  … still loading: ${[...pending].join(', ')} (${seconds(waited)})`));
      }
      if (waited > READY_TIMEOUT_MS)
        throw new Error(`functions not ready after ${seconds(waited)}: ${[...pending].join(', ')}`);
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** No nats-server at all: the same functions in this process, reached in-process and over HTTP. */
  private async startFunctionsInProcess(databaseUrl: string, ports: Record<FunctionName, number>): Promise<void> {
    const { startFunctionServer } = await import('../lib/runtime/server.js');
    const defs = {
      embed: (await import('../functions/embed/handler.js')).default,
      'session-write': (await import('../functions/session-write/handler.js')).default,
      brain: (await import('../functions/brain/handler.js')).default,
      tts: (await import('../functions/tts/handler.js')).default,
    };
    const cfg = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
    const offline = NatsLink.offline(this.log);
    const local = new Map();
    const client = new FunctionClient({ log: this.log, local });
    step('functions', 'loading in this process (no NATS)…');
    for (const [name, def] of Object.entries(defs)) {
      const t = performance.now();
      const server = await startFunctionServer(def as never, {
        config: cfg,
        log: this.log,
        port: ports[name as FunctionName],
        host: '127.0.0.1',
        nats: offline,
        client,
        natsWaitMs: 0,
      });
      local.set(name, server.runtime);
      this.inproc.push(server);
      done(name, `ready on :${ports[name as FunctionName]} in process ${dim(`(${seconds(performance.now() - t)})`)}`);
    }
  }

  private summary(o: {
    facts: EngineFacts;
    sttLabel: string;
    natsUrl: string | undefined;
    databaseUrl: string;
    ports: Record<FunctionName, number>;
  }): void {
    const url = this.gateway?.url ?? '';
    say('');
    say(bold('Engines'));
    for (const e of describeEngines(this.config, o.facts, o.sttLabel)) {
      say(`  ${(e.best ? green : yellow)(e.part.padEnd(9))} ${e.chosen}`);
      if (e.hint) say(`  ${' '.repeat(9)} ${dim(e.hint)}`);
    }
    say('');
    say(bold('Running'));
    say(`  ${'bus'.padEnd(9)} ${o.natsUrl ?? 'in-process (no nats-server)'}`);
    say(`  ${'database'.padEnd(9)} ${o.databaseUrl}`);
    say(
      `  ${'functions'.padEnd(9)} ${FUNCTION_NAMES.map((n) => `${n} :${o.ports[n]}`).join(' · ')} ${dim(`(also at ${url}/function/<name>)`)}`,
    );
    say(`  ${'health'.padEnd(9)} ${url}/api/health`);
    say('');
    say(`${bold('Talk to it:')} ${cyan(url)}   ${dim('memory:')} ${cyan(`${url}/memory`)}`);
  }

  private recordPids(): void {
    const pids = [...this.children, ...(this.nats ? [this.nats] : [])].map((c) => c.pid).filter(Boolean);
    writeFileSync(join(this.config.dataDir, PIDS_FILE), JSON.stringify({ launcher: process.pid, pids }));
  }

  /** In order: conversations (their last writes), gateway, functions (drain), NATS, database. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const grace = Math.min(this.config.shutdownGraceMs, 10_000);
      await this.host?.closeAll('server shutting down').catch(() => {});
      await this.gateway?.close().catch(() => {});
      await this.link?.close().catch(() => {});
      await this.pool?.end().catch(() => {});
      await Promise.all(this.children.map((c) => c.stop(grace)));
      for (const s of this.inproc) await s.stop(grace).catch(() => {});
      await this.nats?.stop(3_000);
      await (this.stt as { close?: () => Promise<void> } | undefined)?.close?.().catch(() => {});
      await this.db?.close().catch(() => {});
      say(green('stopped; data kept in ') + this.config.dataDir);
    })();
    return this.stopping;
  }

  killNow(): void {
    for (const c of [...this.children, ...(this.nats ? [this.nats] : [])]) c.kill();
  }
}

/** The agent host's own speech front end (agent-host/speech.ts: Silero + the recogniser, tuned for latency). */
async function loadVoice(config: Config): Promise<{ vad: VAD; stt: stt.STT; sttLabel: string }> {
  initializeLogger({ pretty: false, level: 'warn' });
  const t = performance.now();
  const { vad, stt: recogniser } = await loadSpeech(config);
  const label = config.models.whisper ? 'Whisper' : `PocketSphinx ${recogniser.provider.replace(/^pocketsphinx /, '')}`;
  done('voice', `Silero VAD + ${label} ${dim(`(${seconds(performance.now() - t)})`)}`);
  return { vad, stt: recogniser, sttLabel: label };
}

/** 8081.. when free, else any free port. */
async function pickPorts(): Promise<Record<FunctionName, number>> {
  const out = {} as Record<FunctionName, number>;
  for (const [i, name] of FUNCTION_NAMES.entries()) out[name] = await freePort(FUNCTION_PORT_BASE + i);
  return out;
}

function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolvePort, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(port, '0.0.0.0', () => {
        const actual = (srv.address() as { port: number }).port;
        srv.close(() => resolvePort(actual));
      });
    });
  return tryPort(preferred).catch(() => tryPort(0));
}

/** A launcher killed with SIGKILL leaves its children: stop those of the last run before starting again. */
function killLeftovers(dataDir: string): void {
  const file = join(dataDir, PIDS_FILE);
  if (!existsSync(file)) return;
  try {
    const { launcher, pids } = JSON.parse(readFileSync(file, 'utf8')) as { launcher: number; pids: number[] };
    if (alive(launcher)) return; // that launcher is still running: not ours to touch
    for (const pid of pids) {
      if (!alive(pid)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('dist/functions/') || cmd.includes('nats-server')) {
        say(yellow(`  stopping pid ${pid} left over from a previous run`));
        process.kill(-pid, 'SIGKILL');
      }
    }
  } catch {
    // nothing to clean
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function step(part: string, text: string): void {
  say(`  ${dim('…')} ${part.padEnd(13)} ${text}`);
}

function done(part: string, text: string): void {
  say(`  ${green('✓')} ${part.padEnd(13)} ${text}`);
}

await main();
