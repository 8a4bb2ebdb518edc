// Starts the gateway: the hono app on a Node HTTP server, plus the local-mode WebSocket on the same port.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { WS_PATH } from '../lib/protocol/index.js';
import { createGatewayApp, DEFAULT_LIMITS, type GatewayOptions } from './app.js';
import { createRateLimiter } from './rate-limit.js';
import { createLocalSocketServer } from './ws.js';

export interface GatewayServer {
  /** `http://host:port` */
  url: string;
  port: number;
  /** Ends local conversations, closes sockets and the listener. */
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions & { port: number; host?: string }): Promise<GatewayServer> {
  const app = createGatewayApp(options);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const sockets = createLocalSocketServer({
    local: options.local,
    log: options.log.child({ part: 'ws' }),
    connectLimiter: createRateLimiter(limits.connections),
    maxSessions: limits.maxSessions,
    helloTimeoutMs: limits.helloTimeoutMs,
    trustProxy: options.trustProxy,
  });
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: host }, () => resolve(s as Server)) as Server;
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${options.port} on ${host} is already in use (set GATEWAY_PORT)`, { cause: err })
          : err,
      ),
    );
  });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    async close() {
      await sockets.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}
