// Entry of one function process (`node dist/functions/<name>.js`): config, logs, serve, drain on SIGTERM.
import { loadConfigOrExit } from '../config/index.js';
import { createLogger } from '../log.js';
import type { AnyContract } from '../protocol/index.js';
import { collectProcessMetrics } from '../telemetry/metrics.js';
import { startTracing } from '../telemetry/tracing.js';
import type { FunctionDefinition } from './define.js';
import { startFunctionServer } from './server.js';

export async function runFunction<C extends AnyContract>(definition: FunctionDefinition<C>): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(definition.contract.name, config.logLevel);
  collectProcessMetrics();
  // OTEL_EXPORTER_OTLP_ENDPOINT set: spans of each request go there; unset: nothing is loaded.
  const tracing = await startTracing({
    serviceName: `arc-${definition.contract.name}`,
    endpoint: config.otlpEndpoint,
    log,
  });
  let server: Awaited<ReturnType<typeof startFunctionServer<C>>>;
  try {
    server = await startFunctionServer(definition, { config, log, host: config.host });
  } catch (err) {
    log.fatal({ err }, `${definition.contract.name} failed to start`);
    process.exit(1);
  }
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down');
    server.stop(config.shutdownGraceMs).then(
      async (r) => {
        await tracing?.shutdown().catch(() => {}); // the last spans, before the process goes
        process.exit(r.completed ? 0 : 1);
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
