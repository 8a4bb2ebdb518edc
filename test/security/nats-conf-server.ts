// A real nats-server started with deploy/nats/nats.conf itself (ports and store moved to free/private ones), so
// tests check the very permissions compose deploys. Passwords are generated per run and passed as the config's
// `$NATS_<ROLE>_PASSWORD` variables, as compose does from .env.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/env.js';
import { isRunning, sigkill, waitForPort } from '../helpers/nats-server.js';

export const NATS_CONF = 'deploy/nats/nats.conf';
export const NATS_ROLES = ['brain', 'tts', 'embed', 'session-write', 'agent-host', 'gateway'] as const;
export type NatsRole = (typeof NATS_ROLES)[number];

export interface ConfiguredNats {
  port: number;
  /** `nats://127.0.0.1:<port>` without credentials. */
  url: string;
  passwords: Record<NatsRole, string>;
  /** `nats://<role>:<password>@127.0.0.1:<port>`, as lib/config builds it from NATS_USER and NATS_PASSWORD. */
  urlFor(role: NatsRole): string;
  readonly running: boolean;
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export const passwordVar = (role: NatsRole) => `NATS_${role.toUpperCase().replaceAll('-', '_')}_PASSWORD`;

export async function startConfiguredNats(): Promise<ConfiguredNats> {
  const port = await freePort();
  const monitor = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'arc-nats-'));
  const passwords = Object.fromEntries(NATS_ROLES.map((r) => [r, natsPassword()])) as Record<NatsRole, string>;
  const env = { ...process.env, ...Object.fromEntries(NATS_ROLES.map((r) => [passwordVar(r), passwords[r]])) };
  let child: ChildProcess | undefined;
  let output = '';
  const nats: ConfiguredNats = {
    port,
    url: `nats://127.0.0.1:${port}`,
    passwords,
    urlFor: (role) => `nats://${role}:${passwords[role]}@127.0.0.1:${port}`,
    get running() {
      return isRunning(child);
    },
    async start() {
      // Same file; only where it listens and stores moves (flags override the file).
      child = spawn(
        'nats-server',
        ['-c', NATS_CONF, '-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-sd', store],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stderr?.on('data', (d) => {
        output = (output + d).slice(-10_000);
      });
      child.stdout?.on('data', (d) => {
        output = (output + d).slice(-10_000);
      });
      try {
        await waitForPort(port, 10_000);
      } catch (err) {
        throw new Error(`nats-server -c ${NATS_CONF} did not start: ${(err as Error).message}\n${output}`);
      }
    },
    kill: () => sigkill(child),
    async close() {
      await nats.kill();
      rmSync(store, { recursive: true, force: true });
    },
  };
  await nats.start();
  return nats;
}

/**
 * A password nats-server reads back as a string: it parses an environment value as a config value, so one that
 * starts with a digit would become a number (or fail to parse). Hence the letter in front (docs/reliability.md).
 */
export function natsPassword(): string {
  return `p${randomBytes(16).toString('hex')}`;
}
