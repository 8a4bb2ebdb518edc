// The agents-js agent definition the worker's job processes load: prewarm builds what every job in that
// process needs (config, logs, NATS, FunctionClient, VAD, STT) before a job is assigned; entry runs one room.
import { defineAgent, type JobContext, type JobProcess } from '@livekit/agents';
import { FunctionClient } from '../../lib/bus/client.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { loadConfig } from '../../lib/config/index.js';
import { createLogger } from '../../lib/log.js';
import { startTracing } from '../../lib/telemetry/tracing.js';
import { PhraseCache } from '../plugins/phrases.js';
import { sessionOptionsFromConfig, warmPhrases } from '../session.js';
import { loadSpeech } from '../speech.js';
import { type RoomJobDeps, runRoomJob } from './job.js';

interface JobProcessData extends Record<string, unknown> {
  deps?: RoomJobDeps;
}

/** Builds a job process's dependencies; the environment is the host's (fork copies it). */
export async function createRoomJobDeps(): Promise<RoomJobDeps> {
  const started = performance.now();
  const config = loadConfig();
  const log = createLogger('agent-job', config.logLevel);
  // Each turn's trace starts in this process (OTEL_EXPORTER_OTLP_ENDPOINT set; nothing is loaded otherwise).
  const tracing = await startTracing({ serviceName: 'arc-agent-host', endpoint: config.otlpEndpoint, log });
  // NATS connects in the background; the FunctionClient falls back to HTTP while it is down.
  const nats = new NatsLink({ servers: config.natsUrl, name: `agent-job-${process.pid}`, log });
  const client = new FunctionClient({ log, nats, http: config.functionGatewayUrl, httpAuth: config.functionAuth });
  const speech = await loadSpeech(config);
  // Greeting and apology audio: synthesised now (briefly waiting for NATS), said later without a tts call.
  const phrases = new PhraseCache();
  await nats.ready(3_000).catch(() => {});
  await warmPhrases({ client, log, phrases }, sessionOptionsFromConfig(config));
  log.info({ ms: Math.round(performance.now() - started), phrases: phrases.size }, 'job process prewarmed');
  return {
    config,
    log,
    nats,
    client,
    phrases,
    vad: speech.vad,
    stt: speech.stt,
    close: async () => {
      await speech.close();
      await nats.close();
      await tracing?.shutdown();
    },
  };
}

export default defineAgent<JobProcessData>({
  prewarm: async (proc: JobProcess<JobProcessData>) => {
    proc.userData.deps = await createRoomJobDeps();
  },
  entry: async (ctx: JobContext<JobProcessData>) => {
    const deps = ctx.proc.userData.deps ?? (await createRoomJobDeps());
    await runRoomJob(ctx as unknown as JobContext, deps);
  },
});
