// The agent host process in room mode: config, health server, speech check, the LiveKit worker, SIGTERM drain.
import { initializeLogger } from '@livekit/agents';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { type Config, loadConfigOrExit } from '../../lib/config/index.js';
import { type RoomModeConfig, roomModeConfig } from '../../lib/livekit/room-mode.js';
import { AGENT_NAME } from '../../lib/livekit/token.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { collectProcessMetrics, countActiveSessionsWith } from '../../lib/telemetry/metrics.js';
import { loadSpeech } from '../speech.js';
import { countPublishedEvents } from '../tracing.js';
import { closeHttp, createHostApp, listenHttp } from './health.js';
import { RoomWorker, WORKER_DEFAULTS } from './worker.js';

/** Exit status for "not configured" (EX_CONFIG), as for a bad variable in lib/config. */
export const EXIT_NOT_CONFIGURED = 78;

/** Job processes kept prewarmed: the next conversation starts without loading VAD and STT. */
export const IDLE_JOB_PROCESSES = 1;

export interface AgentHostOptions {
  /** The module job processes load (its default export is the agent definition): the host's own entry. */
  agentModule: string;
}

type Phase = 'starting' | 'ready' | 'stopping';

/** Starts the host; returns once it is serving and the worker is connecting (it runs until SIGTERM). */
export async function runAgentHost(options: AgentHostOptions): Promise<void> {
  const config = loadConfigOrExit();
  const livekit = roomModeOrExit(config);
  const log = createLogger('agent-host', config.logLevel);
  initializeLogger({ pretty: false, level: config.logLevel });
  collectProcessMetrics();
  const nats = new NatsLink({ servers: config.natsUrl, name: 'agent-host', log });
  // Conversations run in job processes: /metrics counts what they publish, and one session per running job.
  countPublishedEvents(nats, log);

  const state: { phase: Phase } = { phase: 'starting' };
  let worker: RoomWorker | undefined;
  const app = createHostApp(async () => {
    const w = await worker?.status();
    return {
      ready: state.phase === 'ready' && w?.registered === true && w.connected,
      phase: state.phase,
      agentName: AGENT_NAME,
      livekit: w ? (w.connected ? 'connected' : 'disconnected') : 'not started',
      workerId: w?.workerId,
      activeJobs: w?.activeJobs ?? 0,
      nats: nats.connected ? 'connected' : 'disconnected',
    };
  });
  const http = await listenHttp(app, config.port).catch((err: Error) => fatal(log, err, 'HTTP server failed'));
  log.info({ url: http.url }, 'serving health on HTTP');

  let signals = 0;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    state.phase = 'stopping';
    log.info(
      { signal, activeJobs: worker?.server.activeJobs.length ?? 0, graceMs: config.shutdownGraceMs },
      'draining',
    );
    const { drained } = worker ? await worker.stop() : { drained: true };
    await nats.close();
    await closeHttp(http.server);
    log.info({ drained }, 'stopped');
    process.exit(drained ? 0 : 1);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      shutdown(signal).catch((err) => fatal(log, err, 'shutdown failed'));
    });
  }

  // Load the speech models once here, so a bad model stops the host now instead of failing every job process.
  try {
    const speech = await loadSpeech(config);
    await speech.close();
  } catch (err) {
    fatal(log, err, 'speech models failed to load');
  }
  if (state.phase === 'stopping') return;

  const w = await RoomWorker.create({
    agentModule: options.agentModule,
    livekit,
    log,
    idleProcesses: IDLE_JOB_PROCESSES,
    // The grace covers the drain and then the closing of conversations that outlived it.
    drainTimeoutMs: Math.max(1_000, config.shutdownGraceMs - WORKER_DEFAULTS.jobCloseTimeoutMs),
    logLevel: config.logLevel,
  });
  worker = w;
  countActiveSessionsWith(() => w.server.activeJobs.length);
  w.start().then(
    () => {
      if (state.phase !== 'stopping') fatal(log, new Error('the LiveKit worker stopped on its own'), 'worker stopped');
    },
    (err) => fatal(log, err, `cannot work with LiveKit at ${livekit.url}`),
  );
  state.phase = 'ready';
  log.info({ url: livekit.url, agentName: AGENT_NAME }, 'agent host started; registering with LiveKit');
}

/** The LiveKit settings, or a message naming what is missing and exit 78. */
function roomModeOrExit(config: Config): RoomModeConfig {
  try {
    return roomModeConfig(config.livekit);
  } catch (err) {
    process.stderr.write(
      `agent-host: ${(err as Error).message}\n` +
        '  The agent host is the LiveKit worker (room mode) and needs a LiveKit server. Without one, run the\n' +
        '  embedded default (`npm start`): the web gateway hosts conversations in local mode.\n',
    );
    process.exit(EXIT_NOT_CONFIGURED);
  }
}

function fatal(log: Logger, err: unknown, message: string): never {
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, message);
  process.exit(1);
}
