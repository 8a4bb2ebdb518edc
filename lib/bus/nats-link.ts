// One NATS connection per process, connected in the background and watched: callers ask "up now?" and hear of drops.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log.js';

export interface NatsLinkOptions {
  /** Comma-separated server URLs. */
  servers: string;
  /** Connection name shown by the server (`nats-server` monitoring, logs). */
  name: string;
  log: Logger;
  /** Milliseconds between reconnect attempts. */
  reconnectTimeWait?: number;
}

type Listener = () => void;

/**
 * Keeps trying to connect (and reconnect) for as long as it lives, so a process can start before NATS and
 * survive NATS restarts. `connection` is undefined until the first connect.
 */
export class NatsLink {
  private nc: NatsConnection | undefined;
  private up = false;
  private closedByUs = false;
  private readonly disconnectListeners = new Set<Listener>();
  private readonly connectListeners = new Set<(nc: NatsConnection) => void>();
  private readonly firstConnect: Promise<NatsConnection>;

  constructor(private readonly options: NatsLinkOptions) {
    if (options.servers.trim() === '') {
      this.closedByUs = true;
      this.firstConnect = Promise.reject(new Error('this process runs without NATS'));
      this.firstConnect.catch(() => {});
      return;
    }
    this.firstConnect = this.open();
    // Nobody may wait on it (HTTP-only use); a failure is logged in open().
    this.firstConnect.catch(() => {});
  }

  /** A link that never connects: for processes with no NATS at all (in-process embedded fallback, tests). */
  static offline(log: Logger): NatsLink {
    return new NatsLink({ servers: '', name: 'offline', log });
  }

  get connection(): NatsConnection | undefined {
    return this.nc;
  }

  /** True while a server connection is established (false while reconnecting or closed). */
  get connected(): boolean {
    return this.up && this.nc !== undefined && !this.nc.isClosed();
  }

  /** The server URLs, credentials masked (safe to log). */
  get servers(): string {
    return redactUrls(this.options.servers);
  }

  /** Resolves with the connection once connected (first time), or rejects after `timeoutMs`. */
  async ready(timeoutMs = 5_000): Promise<NatsConnection> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`NATS at ${redactUrls(this.options.servers)} not reachable within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.firstConnect, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Called on every drop of the connection; returns an unsubscribe function. */
  onDisconnect(listener: Listener): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  /** Called on the first connect (at once if already connected) and on every reconnect. */
  onConnect(listener: (nc: NatsConnection) => void): () => void {
    this.connectListeners.add(listener);
    if (this.connected && this.nc) listener(this.nc);
    return () => this.connectListeners.delete(listener);
  }

  /** Flushes what was published, then closes. */
  async close(): Promise<void> {
    this.closedByUs = true;
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    // Draining needs the server; while disconnected it would wait for a reconnect that may never come.
    if (!this.up) return void (await nc.close().catch(() => {}));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), 2_000);
    });
    const outcome = await Promise.race([nc.drain().catch(() => 'failed' as const), late]);
    clearTimeout(timer);
    if (outcome !== undefined) await nc.close().catch(() => {});
  }

  private async open(): Promise<NatsConnection> {
    const { name, log } = this.options;
    // Credentials may ride in the URL (`nats://user:pass@host`, as lib/config builds it from NATS_USER and
    // NATS_PASSWORD); nats.js wants them apart, and logs must never show them.
    const { urls, user, pass } = splitCredentials(this.options.servers);
    const servers = redactUrls(this.options.servers);
    const nc = await connect({
      servers: urls,
      user,
      pass,
      name,
      // Keep trying forever: at start-up (NATS may come up after us) and after any drop.
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.options.reconnectTimeWait ?? 500,
      reconnectJitter: 100,
      timeout: 2_000,
      pingInterval: 10_000,
    });
    if (this.closedByUs) {
      await nc.close();
      throw new Error('NATS link closed before it connected');
    }
    this.nc = nc;
    this.up = true;
    log.info({ servers, name }, 'NATS connected');
    this.watch(nc);
    for (const l of this.connectListeners) l(nc);
    return nc;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    const { log } = this.options;
    try {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          this.up = false;
          log.warn({ server: s.server }, 'NATS disconnected; reconnecting');
          for (const l of this.disconnectListeners) l();
        } else if (s.type === 'reconnect') {
          this.up = true;
          log.info({ server: s.server }, 'NATS reconnected');
          for (const l of this.connectListeners) l(nc);
        }
      }
    } catch (err) {
      log.error({ err }, 'NATS status watcher failed');
    }
    this.up = false;
    if (!this.closedByUs) {
      log.error('NATS connection closed for good');
      for (const l of this.disconnectListeners) l();
    }
  }
}

/** Splits `nats://user:pass@host:4222,…` into bare URLs and one user/password (the first URL that has them). */
export function splitCredentials(servers: string): { urls: string[]; user?: string; pass?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const urls = servers.split(',').map((raw) => {
    const s = raw.trim();
    const m = /^([a-z]+:\/\/)([^@/]*)@(.*)$/i.exec(s);
    if (!m) return s;
    const [who, secret] = (m[2] as string).split(':');
    user ??= decodeURIComponent(who ?? '') || undefined;
    pass ??= secret === undefined ? undefined : decodeURIComponent(secret);
    return `${m[1]}${m[3]}`;
  });
  return { urls, user, pass };
}

/** The same URLs with any password replaced by `***`. */
export function redactUrls(servers: string): string {
  return servers.replace(/(:\/\/[^:@/,]*):[^@/,]*@/g, '$1:***@');
}
