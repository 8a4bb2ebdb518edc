// The system under chaos, as separate processes where it matters: nats-server with the compose config (users,
// permissions, JetStream), two replicas each of brain, embed and session-write as their own processes, an
// embedded PGlite + pgvector database, the gateway's /function proxy (basic auth, OpenFaaS-style) as the HTTP
// fallback, and a test peer for the LLM (an OpenAI-compatible server: no LLM can run here).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { functionProxy } from '../../gateway/functions.js';
import { FunctionClient } from '../../lib/bus/client.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '../../lib/db/index.js';
import { freshDataDir } from '../brain/helpers/db.js';
import { type OpenAiPeer, startOpenAiPeer } from '../brain/helpers/openai-peer.js';
import { freePort, testLogger } from '../helpers/env.js';
import { type ConfiguredNats, type NatsRole, startConfiguredNats } from '../security/nats-conf-server.js';
import { type ChildReplica, startChild } from './processes.js';

export const CHAOS_FUNCTIONS = ['embed', 'session-write', 'brain'] as const;
export type ChaosFunction = (typeof CHAOS_FUNCTIONS)[number];

export interface ChaosStack {
  nats: ConfiguredNats;
  db: EmbeddedDatabase;
  dbUrl: string;
  llm: OpenAiPeer;
  /** Every replica ever started (killed ones stay, to check who crashed). */
  replicas: ChildReplica[];
  live(fn: ChaosFunction): ChildReplica[];
  client: FunctionClient;
  link: NatsLink;
  /** Starts one more replica of `fn` (a restart after a kill). */
  startReplica(fn: ChaosFunction): Promise<ChildReplica>;
  stopDb(): Promise<void>;
  startDb(): Promise<void>;
  close(): Promise<void>;
}

export async function startChaosStack(replicasPerFunction = 2): Promise<ChaosStack> {
  const log = testLogger('chaos');
  const nats = await startConfiguredNats();
  const dataDir = await freshDataDir();
  const dbPort = await freePort();
  const workDir = mkdtempSync(join(tmpdir(), 'arc-chaos-'));
  let db = await startEmbeddedDatabase({ dataDir, port: dbPort, log });
  const dbUrl = db.url;
  const llm = await startOpenAiPeer({
    kind: 'reply',
    tokens: ['Sure', ', ', 'I ', 'remember ', 'that', '.'],
    gapMs: 40,
  });
  const auth = { user: 'arc-functions', password: randomBytes(16).toString('hex') };
  const replicas: ChildReplica[] = [];
  const live = (fn: ChaosFunction) => replicas.filter((r) => r.name.startsWith(`${fn}#`) && r.alive);

  // The function gateway: the real /function proxy, routing each call to a live replica (as Traefik or the
  // OpenFaaS gateway would, with health checks), requiring the functions' basic auth.
  let turn = 0;
  const gateway = new Hono().route(
    '/',
    functionProxy(
      (name, path) => {
        const pool = live(name as ChaosFunction);
        const r = pool[turn++ % Math.max(1, pool.length)];
        return r ? `${r.url}${path === '' ? '/' : path}` : undefined;
      },
      2 * 1024 * 1024,
      auth,
    ),
  );
  const gw = serve({ fetch: gateway.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => gw.once('listening', () => r()));
  const gatewayUrl = `http://127.0.0.1:${(gw.address() as AddressInfo).port}`;

  let n = 0;
  const startReplica = async (fn: ChaosFunction) => {
    const r = await startChild(`${fn}#${n++}`, 'test/chaos/function-main.ts', {
      ARC_FUNCTION: fn,
      NATS_URL: nats.url,
      NATS_USER: fn as NatsRole,
      NATS_PASSWORD: nats.passwords[fn as NatsRole],
      DATABASE_URL: dbUrl,
      FUNCTION_GATEWAY_URL: gatewayUrl,
      BASIC_AUTH_USER: auth.user,
      BASIC_AUTH_PASSWORD: auth.password,
      LLM_ENDPOINT: `${llm.url}/v1`,
      LLM_MODEL: 'chaos-peer',
      DATA_DIR: workDir,
      SHUTDOWN_GRACE_MS: '2000',
      DB_STATEMENT_TIMEOUT_MS: '1000',
    });
    replicas.push(r);
    return r;
  };
  // embed first (the others call it while they warm up), then the rest side by side.
  await Promise.all(Array.from({ length: replicasPerFunction }, () => startReplica('embed')));
  await Promise.all(
    ['session-write', 'brain'].flatMap((fn) =>
      Array.from({ length: replicasPerFunction }, () => startReplica(fn as ChaosFunction)),
    ),
  );

  // The caller: what the agent host (or scripts/chat.ts) does, as the agent-host NATS user.
  const link = new NatsLink({ servers: nats.urlFor('agent-host'), name: 'chaos-driver', log, reconnectTimeWait: 100 });
  await link.ready();
  const client = new FunctionClient({ log, nats: link, http: gatewayUrl, httpAuth: auth });

  return {
    nats,
    get db() {
      return db;
    },
    dbUrl,
    llm,
    replicas,
    live,
    client,
    link,
    startReplica,
    async stopDb() {
      await db.close();
    },
    async startDb() {
      db = await startEmbeddedDatabase({ dataDir, port: dbPort, log });
    },
    async close() {
      await link.close();
      await Promise.all(replicas.map((r) => r.stop()));
      await new Promise<void>((r) => gw.close(() => r()));
      await llm.close();
      await db.close().catch(() => {});
      await nats.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
