// The standalone gateway (`node dist/gateway.js`, the compose `gateway` service): room mode only — page, token,
// health, memory API, agent events, /function proxy. Local mode (the audio WebSocket) needs the embedded
// launcher (`npm start`), which runs this same gateway with the agent host in one process.
import { join } from 'node:path';
import { FunctionClient } from '../lib/bus/client.js';
import { NatsLink } from '../lib/bus/nats-link.js';
import { loadConfigOrExit } from '../lib/config/index.js';
import { createPool } from '../lib/db/index.js';
import { createLogger } from '../lib/log.js';
import { FUNCTION_NAMES } from '../lib/protocol/index.js';
import { startGateway } from './server.js';

const config = loadConfigOrExit();
const log = createLogger('gateway', config.logLevel);
// Compose gives the gateway PORT=3000; GATEWAY_PORT wins when set, and 3000 is the default either way.
const port = process.env.GATEWAY_PORT ? config.gatewayPort : process.env.PORT ? config.port : config.gatewayPort;
const nats = new NatsLink({ servers: config.natsUrl, name: 'gateway', log });
const client = new FunctionClient({ log, nats, http: config.functionGatewayUrl, httpAuth: config.functionAuth });
const pool = config.databaseUrl
  ? createPool({ url: config.databaseUrl, max: 4, statementTimeoutMs: config.db.statementTimeoutMs, log })
  : undefined;
const fgw = config.functionGatewayUrl?.replace(/\/$/, '');

const gateway = await startGateway({
  config,
  log,
  port,
  host: '0.0.0.0',
  webRoot: join(import.meta.dirname, 'web'),
  nats,
  client,
  db: pool && {
    query: pool.query.bind(pool),
    ping: () =>
      pool.query('SELECT 1').then(
        () => true,
        () => false,
      ),
  },
  // Readiness through the function gateway, as OpenFaaS routes /function/<name>/<path> to the function's /<path>.
  functions: fgw ? FUNCTION_NAMES.map((name) => ({ name, readyUrl: `${fgw}/function/${name}/_/ready` })) : [],
  functionRoute: fgw ? (name, path) => `${fgw}/function/${name}${path}` : undefined,
  trustProxy: true,
});
log.info({ url: gateway.url, room: Boolean(config.livekit.url), memory: Boolean(pool) }, 'gateway listening');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) process.exit(1);
  stopping = true;
  log.info({ signal }, 'gateway shutting down');
  await gateway.close();
  await nats.close();
  await pool?.end().catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
