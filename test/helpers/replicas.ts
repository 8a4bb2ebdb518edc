// Starts function replicas in this process, each with its own NATS connection, as separate processes would have.
import { FunctionClient } from '../../lib/bus/client.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import type { AnyContract, ContractMap } from '../../lib/protocol/index.js';
import type { FunctionDefinition } from '../../lib/runtime/define.js';
import { type FunctionServer, startFunctionServer } from '../../lib/runtime/server.js';
import { NATS_URL, testConfig, testLogger } from './env.js';

export async function startReplica<C extends AnyContract>(
  definition: FunctionDefinition<C>,
  natsUrl = NATS_URL,
): Promise<FunctionServer<C>> {
  return startFunctionServer(definition, {
    config: testConfig({ NATS_URL: natsUrl }),
    log: testLogger('replica'),
    port: 0,
    host: '127.0.0.1',
  });
}

export interface TestClient<M extends ContractMap> {
  client: FunctionClient<M>;
  link: NatsLink;
  close(): Promise<void>;
}

export async function testClient<M extends ContractMap>(
  contracts: M,
  options: { natsUrl?: string; http?: string | ((name: string) => string | undefined) } = {},
): Promise<TestClient<M>> {
  const log = testLogger('client');
  const link = new NatsLink({ servers: options.natsUrl ?? NATS_URL, name: 'test-client', log, reconnectTimeWait: 100 });
  await link.ready();
  const client = new FunctionClient({ log, nats: link, http: options.http, contracts });
  return { client, link, close: () => link.close() };
}
