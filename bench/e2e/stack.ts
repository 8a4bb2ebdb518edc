// What bench/e2e runs against: a private nats-server, the embedded database, an OpenAI-compatible LLM test peer
// (a fixed reply, so both pipelines get the same text), and the four functions as their own processes (the
// built bundles, as `npm start` runs them). Everything is torn down at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FunctionClient } from '../../lib/bus/client.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { startEmbeddedDatabase } from '../../lib/db/index.js';
import type { Logger } from '../../lib/log.js';
import { FUNCTION_NAMES } from '../../lib/protocol/index.js';
import { sleep } from '../../lib/util/abort.js';
import { type OpenAiPeer, startOpenAiPeer } from '../../test/brain/helpers/openai-peer.js';
import { freePort } from '../../test/helpers/env.js';
import { type PrivateNats, startPrivateNats } from '../../test/helpers/nats-server.js';

/** The brain's reply in every turn: three sentences, a short one first (as an assistant often starts). */
export const REPLY = 'Sure. Here is a short answer for you. I hope that it helps.';

export interface BenchStack {
  nats: PrivateNats;
  link: NatsLink;
  client: FunctionClient;
  peer: OpenAiPeer;
  /** Sets how fast the LLM peer streams the reply (0 = all at once). */
  setLlmPace(msPerToken: number): void;
  stop(): Promise<void>;
}

export async function startBenchStack(log: Logger): Promise<BenchStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'arc-bench-e2e-'));
  const nats = await startPrivateNats();
  const db = await startEmbeddedDatabase({ dataDir, log });
  const tokens = REPLY.split(/(?<= )/);
  const peer = await startOpenAiPeer({ kind: 'reply', tokens, gapMs: 0 });
  const children: ChildProcess[] = [];
  const ports: Record<string, number> = {};
  for (const name of FUNCTION_NAMES) {
    ports[name] = await freePort();
    const child = spawn(process.execPath, [`dist/functions/${name}.js`], {
      env: {
        ...process.env,
        NATS_URL: nats.url,
        PORT: String(ports[name]),
        DATABASE_URL: db.url,
        DATA_DIR: dataDir,
        LLM_ENDPOINT: `${peer.url}/v1`,
        LLM_MODEL: 'bench-peer',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
  }
  for (const name of FUNCTION_NAMES) await waitReady(`http://127.0.0.1:${ports[name]}/_/ready`, 60_000);
  const link = new NatsLink({ servers: nats.url, name: 'bench-e2e', log });
  await link.ready();
  const client = new FunctionClient({ log, nats: link });
  return {
    nats,
    link,
    client,
    peer,
    setLlmPace(ms) {
      peer.script = { kind: 'reply', tokens, gapMs: ms };
    },
    async stop() {
      await link.close();
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
      await peer.close();
      await db.close();
      await nats.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}
