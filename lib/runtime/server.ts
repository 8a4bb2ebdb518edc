// Assembles a replica: runtime + NATS serving + HTTP serving, with ordered graceful shutdown.
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { FunctionClient } from '../bus/client.js';
import { NatsLink } from '../bus/nats-link.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { AnyContract } from '../protocol/index.js';
import type { FunctionDefinition } from './define.js';
import { createFunctionApp } from './http-server.js';
import { serveOverNats } from './nats-server.js';
import { FunctionRuntime } from './runtime.js';

export interface FunctionServerOptions {
  config: Config;
  log: Logger;
  /** HTTP port; 0 picks a free one; `false` serves no HTTP. Default: config.port. */
  port?: number | false;
  /** HTTP bind address. Default 0.0.0.0 (a container's port must be reachable). */
  host?: string;
  /** Share a process-wide NATS link; by default the server opens its own to config.natsUrl. */
  nats?: NatsLink;
  /** Client handed to setup for calling other functions; by default built on the same link. */
  client?: FunctionClient;
  replicaId?: string;
  /** How long start-up waits for NATS before serving HTTP only (it keeps trying in the background). */
  natsWaitMs?: number;
}

export interface FunctionServer<C extends AnyContract = AnyContract> {
  runtime: FunctionRuntime<C>;
  nats: NatsLink;
  /** `http://host:port` of this replica, when serving HTTP. */
  url?: string;
  /** Graceful: stop taking work, finish in-flight (up to graceMs), close. */
  stop(graceMs?: number): Promise<{ completed: boolean; aborted: number }>;
}

/** Starts HTTP first (health answers while models load, ready does not), then setup, then NATS. */
export async function startFunctionServer<C extends AnyContract>(
  definition: FunctionDefinition<C>,
  options: FunctionServerOptions,
): Promise<FunctionServer<C>> {
  const { config } = options;
  const log = options.log.child({ function: definition.contract.name });
  const ownLink = !options.nats;
  const nats = options.nats ?? new NatsLink({ servers: config.natsUrl, name: definition.contract.name, log });
  const client =
    options.client ?? new FunctionClient({ log, nats, http: config.functionGatewayUrl, httpAuth: config.functionAuth });
  const runtime = new FunctionRuntime(definition, log, options.replicaId);
  let stopping = false;

  const port = options.port ?? config.port;
  let http: ServerType | undefined;
  let url: string | undefined;
  if (port !== false) {
    const app = createFunctionApp(runtime, {
      stopping: () => stopping,
      auth: config.functionAuth,
      status: () => ({ nats: nats.connected ? 'connected' : 'disconnected' }),
    });
    const host = options.host ?? '0.0.0.0';
    http = await listen(app.fetch, port, host);
    const actual = (http.address() as AddressInfo).port;
    url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}`;
    log.info({ url }, 'serving over HTTP');
  }

  try {
    await runtime.start({ config, log, nats, client });
  } catch (err) {
    http?.close();
    if (ownLink) await nats.close();
    throw err;
  }
  const natsServing = serveOverNats(runtime, nats, log);
  // Return once the queue subscription is on the server, so a caller's first request finds us; a missing
  // NATS is not fatal: the replica serves HTTP and joins the queue group when NATS appears.
  await nats
    .ready(options.natsWaitMs ?? 2_000)
    .then((nc) => nc.flush())
    .catch((err: Error) =>
      log.warn({ err: err.message }, 'NATS not reachable yet; serving HTTP, will join when it is'),
    );

  return {
    runtime,
    nats,
    url,
    async stop(graceMs = 10_000) {
      if (stopping) return { completed: true, aborted: 0 };
      stopping = true;
      log.info({ inflight: runtime.inflightCount, graceMs }, 'draining');
      await natsServing.stopAccepting();
      const result = await runtime.drain(graceMs);
      if (http) await closeHttp(http);
      await runtime.close();
      if (ownLink) await nats.close();
      log.info(result, 'stopped');
      return result;
    },
  };
}

function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  port: number,
  hostname: string,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} on ${hostname} is already in use (set PORT)`) : err),
    );
  });
}

function closeHttp(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets with no request would hold close() open; in-flight responses are already done.
    (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
  });
}
