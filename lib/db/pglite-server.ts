// Serves one PGlite over TCP to many pg clients without mixing their extended-protocol messages.
//
// Why not PGLiteSocketServer as is: its queue (pglite-socket 0.2.17) interleaves single protocol messages of
// different connections outside transactions, so connection B's Parse can land between A's Parse and Bind, and
// A binds B's statement ("invalid input syntax for type vector"). Here a connection keeps PGlite from its first
// extended-protocol message until its Sync (or for a whole transaction), which is what a real server guarantees.
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import type { Logger } from '../log.js';

interface Job {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (n: number) => void;
  reject: (err: unknown) => void;
}

/** Protocol message types that leave an extended-protocol batch open until Sync ('S'). */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H', 'd', 'c', 'f'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);

/** Drop-in for pglite-socket's QueryQueueManager: same methods, one owner at a time. */
class ExclusiveQueryQueue {
  private queue: Job[] = [];
  private processing = false;
  /** The connection that holds PGlite: mid-batch (until Sync) or inside a transaction. */
  private owner: number | undefined;
  private batchOpen = false;
  private last: number | undefined;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((j) => {
      if (j.handlerId !== handlerId) return true;
      j.reject(new Error('connection closed'));
      return false;
    });
    if (this.owner === handlerId && !this.db.isInTransaction()) this.release();
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.last === handlerId && this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    if (this.owner === handlerId) this.release();
    void this.process();
  }

  private release(): void {
    this.owner = undefined;
    this.batchOpen = false;
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (;;) {
        const i = this.owner === undefined ? 0 : this.queue.findIndex((j) => j.handlerId === this.owner);
        const job = i >= 0 ? this.queue.splice(i, 1)[0] : undefined;
        if (!job) return; // empty, or the owner has not sent its next message yet
        const type = job.message[0] as number;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(job.message, {
              onRawData: (data) => {
                bytes += data.length;
                job.onData(data);
              },
            }),
          );
          job.resolve(bytes);
        } catch (err) {
          job.reject(err);
        }
        this.last = job.handlerId;
        if (EXTENDED.has(type)) this.batchOpen = true;
        if (type === SYNC) this.batchOpen = false;
        this.owner = this.batchOpen || this.db.isInTransaction() ? job.handlerId : undefined;
      }
    } finally {
      this.processing = false;
    }
  }
}

export interface PgliteServer {
  port: number;
  stop(): Promise<void>;
}

/** Listens on host:port and hands every connection to PGlite through one exclusive queue. */
export async function servePglite(
  db: PGlite,
  options: { host: string; port: number; maxConnections: number; log: Logger },
): Promise<PgliteServer> {
  const queue = new ExclusiveQueryQueue(db);
  const handlers = new Set<PGLiteSocketHandler>();
  const server: Server = createServer((socket: Socket) => {
    if (handlers.size >= options.maxConnections) {
      options.log.warn({ max: options.maxConnections }, 'embedded database: too many connections; refusing one');
      socket.destroy();
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue: queue as never, closeOnDetach: true });
    handlers.add(handler);
    socket.once('close', () => handlers.delete(handler));
    handler.attach(socket).catch((err) => {
      options.log.warn({ err: (err as Error).message }, 'embedded database: connection failed');
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...handlers].map((h) => h.detach(true).catch(() => {})));
      handlers.clear();
      await closed;
    },
  };
}
