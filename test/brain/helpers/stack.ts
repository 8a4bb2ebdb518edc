// The brain's functions started in this process on subjects unique to one test file, against one test database.
import { randomUUID } from 'node:crypto';
import { brainFunction } from '../../../functions/brain/handler.js';
import embedDefinition from '../../../functions/embed/handler.js';
import { sessionWriteFunction } from '../../../functions/session-write/handler.js';
import { FunctionClient } from '../../../lib/bus/client.js';
import { NatsLink } from '../../../lib/bus/nats-link.js';
import type { Config } from '../../../lib/config/index.js';
import type { LlmAdapter } from '../../../lib/engines/llm/index.js';
import type { Logger } from '../../../lib/log.js';
import { brainContract, CONTRACTS, embedContract, sessionWriteContract } from '../../../lib/protocol/index.js';
import type { FunctionDefinition } from '../../../lib/runtime/define.js';
import { type FunctionServer, startFunctionServer } from '../../../lib/runtime/server.js';
import { NATS_URL, testConfig, testLogger } from '../../helpers/env.js';

export function testContracts(prefix: string) {
  return {
    ...CONTRACTS,
    brain: { ...brainContract, subject: `${prefix}.brain` },
    embed: { ...embedContract, subject: `${prefix}.embed` },
    'session-write': { ...sessionWriteContract, subject: `${prefix}.session` },
  };
}

export interface BrainStack {
  prefix: string;
  config: Config;
  log: Logger;
  link: NatsLink;
  client: FunctionClient;
  /** JetStream names of this stack's session-write. */
  durable: { stream: string; subjectPrefix: string; durable: string };
  servers: { embed: FunctionServer; sessionWrite?: FunctionServer; brain?: FunctionServer };
  stop(): Promise<void>;
}

export interface StackOptions {
  databaseUrl: string;
  /** Which functions to start (embed always). */
  sessionWrite?: boolean;
  brain?: boolean;
  llm?: (config: Config, log: Logger) => Promise<LlmAdapter>;
  env?: Record<string, string>;
}

export async function startBrainStack(options: StackOptions): Promise<BrainStack> {
  const id = randomUUID().slice(0, 8);
  const prefix = `test.${id}`;
  const contracts = testContracts(prefix);
  const config = testConfig({ DATABASE_URL: options.databaseUrl, ...options.env });
  const log = testLogger('stack');
  const link = new NatsLink({ servers: NATS_URL, name: `brain-stack-${id}`, log, reconnectTimeWait: 100 });
  await link.ready();
  const client = new FunctionClient({ log, nats: link, contracts }) as unknown as FunctionClient;
  const durable = { stream: `TEST_SESSIONS_${id}`, subjectPrefix: `${prefix}.sessions`, durable: 'session-writer' };
  const start = <D extends FunctionDefinition>(def: D) =>
    startFunctionServer(def, { config, log, port: false, nats: link, client });
  const servers: BrainStack['servers'] = {
    embed: await start({ ...embedDefinition, contract: contracts.embed }),
  };
  if (options.sessionWrite) {
    servers.sessionWrite = await start(sessionWriteFunction({ subject: contracts['session-write'].subject, durable }));
  }
  if (options.brain) {
    servers.brain = await start(brainFunction({ subject: contracts.brain.subject, llm: options.llm }));
  }
  return {
    prefix,
    config,
    log,
    link,
    client,
    durable,
    servers,
    async stop() {
      await servers.brain?.stop(2_000);
      await servers.sessionWrite?.stop(2_000);
      await servers.embed.stop(2_000);
      const nc = link.connection;
      if (nc) {
        const { jetstreamManager } = await import('@nats-io/jetstream');
        const jsm = await jetstreamManager(nc);
        await jsm.streams.delete(durable.stream).catch(() => {});
      }
      await link.close();
    },
  };
}
