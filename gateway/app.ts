// The web gateway as a hono app: page, token, health, memory API, agent events, and the functions' fallback.
// The local-mode WebSocket lives beside it (ws.ts) because it needs the raw upgrade.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { FunctionClient } from '../lib/bus/client.js';
import type { NatsLink } from '../lib/bus/nats-link.js';
import type { Config } from '../lib/config/index.js';
import type { Queryable } from '../lib/db/index.js';
import type { Logger } from '../lib/log.js';
import { ArcError, WS_HELLO_TIMEOUT_MS, WS_INPUT_SAMPLE_RATES, WS_PATH } from '../lib/protocol/index.js';
import { registry } from '../lib/telemetry/metrics.js';
import { eventsRoute } from './events.js';
import { type FunctionRoute, functionProxy } from './functions.js';
import { createHealthCheck, type FunctionTarget } from './health.js';
import { errorJson } from './http-error.js';
import type { LocalSessions } from './local-sessions.js';
import { memoryRoutes } from './memory.js';
import { createRateLimiter, type RateLimit, rateLimit } from './rate-limit.js';
import { serveWeb } from './static.js';
import { tokenRoute } from './token.js';
import { type TokenAuthHook, tokenAuth } from './token-auth.js';

export interface GatewayLimits {
  /** Requests per client to /api/* (token, memory, health, events). */
  api: RateLimit;
  /** Token requests per client (on top of `api`). */
  token: RateLimit;
  /** Requests per client to /function/*. */
  functions: RateLimit;
  /** New WebSocket connections per client. */
  connections: RateLimit;
  /** Local conversations open at once. */
  maxSessions: number;
  /** How long a new WebSocket may take to say hello. */
  helloTimeoutMs: number;
  /** Request bodies to /api/* (JSON). */
  maxApiBodyBytes: number;
  /** Request bodies proxied to /function/* (the functions enforce their own contract limits too). */
  maxFunctionBodyBytes: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  api: { perMinute: 600, burst: 60 },
  token: { perMinute: 20, burst: 10 },
  functions: { perMinute: 1200, burst: 100 },
  connections: { perMinute: 30, burst: 10 },
  maxSessions: 8,
  helloTimeoutMs: WS_HELLO_TIMEOUT_MS,
  maxApiBodyBytes: 16 * 1024,
  maxFunctionBodyBytes: 2 * 1024 * 1024,
};

export interface GatewayOptions {
  config: Config;
  log: Logger;
  /** Folder of the built web client (dist/web). */
  webRoot: string;
  nats?: NatsLink;
  client?: FunctionClient;
  db?: Queryable & { ping?(): Promise<boolean> };
  /** Readiness URLs of the functions, for /api/health. */
  functions?: readonly FunctionTarget[];
  /** Where /function/<name> goes. */
  functionRoute?: FunctionRoute;
  /** Local mode (the embedded launcher); absent → room mode only. */
  local?: LocalSessions;
  limits?: Partial<GatewayLimits>;
  /** Behind a proxy (Traefik): rate-limit by X-Forwarded-For. */
  trustProxy?: boolean;
  /** Who may get a LiveKit token; default: the GATEWAY_API_KEYS check (open when none are set). */
  tokenAuth?: TokenAuthHook;
}

export function createGatewayApp(options: GatewayOptions): Hono {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const { config, log } = options;
  const trust = options.trustProxy ?? false;
  const app = new Hono();
  const tooLarge = (max: number) =>
    bodyLimit({
      maxSize: max,
      onError: (c) => {
        // The unread rest of the body would poison a kept-alive connection: make the client open a new one.
        c.header('Connection', 'close');
        return errorJson(c, new ArcError('payload_too_large', `request body exceeds ${max} bytes`));
      },
    });

  app.use('/api/*', rateLimit(createRateLimiter(limits.api), 'API', trust), tooLarge(limits.maxApiBodyBytes));
  app.use('/api/token', rateLimit(createRateLimiter(limits.token), 'token', trust));
  app.use('/function/*', rateLimit(createRateLimiter(limits.functions), 'function', trust));

  const health = createHealthCheck({
    functions: options.functions ?? [],
    nats: options.nats,
    db: options.db?.ping ? { ping: () => options.db?.ping?.() ?? Promise.resolve(false) } : undefined,
    local: options.local,
  });
  app.get('/api/health', async function healthRoute(c) {
    const report = await health();
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });

  /** Prometheus metrics of this process (in `npm start`: the sessions, turns and latency stages too). */
  app.get('/metrics', async function metricsRoute(c) {
    return c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });

  /** What the page needs to pick a mode. */
  app.get('/api/config', function clientConfig(c) {
    return c.json({
      local: options.local ? { path: WS_PATH, sampleRates: WS_INPUT_SAMPLE_RATES } : null,
      room: config.livekit.apiKey && config.livekit.url ? { url: config.livekit.url } : null,
      memory: options.db !== undefined,
    });
  });

  app.route('/', tokenRoute(config.livekit, tokenAuth(config.gatewayApiKeys, options.tokenAuth)));
  app.route('/', memoryRoutes({ db: options.db, client: options.client }));
  app.route('/', eventsRoute(options.nats, log));
  if (options.functionRoute)
    app.route('/', functionProxy(options.functionRoute, limits.maxFunctionBodyBytes, config.functionAuth));

  app.get(WS_PATH, (c) =>
    errorJson(c, new ArcError('bad_request', `${WS_PATH} is a WebSocket endpoint: connect with Upgrade: websocket`)),
  );
  app.use('*', serveWeb(options.webRoot));
  app.notFound((c) => errorJson(c, new ArcError('not_found', `no route ${c.req.method} ${c.req.path}`)));
  app.onError((err, c) => {
    log.error({ err, path: c.req.path }, 'gateway request failed');
    return errorJson(c, err);
  });
  return app;
}
