// The agent host's HTTP face for its container: /_/health (the process answers), /_/ready (registered with
// LiveKit and taking jobs), /metrics (Prometheus).
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { registry } from '../../lib/telemetry/metrics.js';

export interface HostReadiness {
  ready: boolean;
  /** Facts shown with the answer: phase, LiveKit connection, worker id, jobs, NATS. */
  [fact: string]: unknown;
}

export function createHostApp(readiness: () => Promise<HostReadiness>): Hono {
  const app = new Hono();
  app.get('/_/health', (c) => c.json({ status: 'ok', service: 'agent-host' }));
  app.get('/_/ready', async function ready(c) {
    const r = await readiness();
    return c.json({ service: 'agent-host', ...r }, r.ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));
  return app;
}

/** Listens on host:port; a taken port is an error that names PORT. */
export function listenHttp(
  app: Hono,
  port: number,
  hostname = '0.0.0.0',
): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname }, () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({ server, url: `http://${hostname === '0.0.0.0' ? '127.0.0.1' : hostname}:${actual}` });
    });
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} on ${hostname} is already in use (set PORT)`) : err),
    );
  });
}

export function closeHttp(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
  });
}
