// Shared test set-up: a quiet config and logger, free ports, the NATS URL of this machine.
import { createServer } from 'node:net';
import { type Config, loadConfig } from '../../lib/config/index.js';
import { createLogger, type Logger } from '../../lib/log.js';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NATS_URL, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...env });
}

export function testLogger(name = 'test'): Logger {
  return createLogger(name, process.env.TEST_LOG_LEVEL ?? 'silent');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
