// One function of the bench's NATS stack as its own process (as deployed): `tsx bench/brain-function.ts <name> <prefix>`.
// Prints "ready" once it serves; stops on SIGTERM. DATABASE_URL and NATS_URL come from the environment.
import { brainFunction } from '../functions/brain/handler.js';
import embedDefinition from '../functions/embed/handler.js';
import { sessionWriteFunction } from '../functions/session-write/handler.js';
import { FunctionClient } from '../lib/bus/client.js';
import { NatsLink } from '../lib/bus/nats-link.js';
import { loadConfigOrExit } from '../lib/config/index.js';
import { createLogger } from '../lib/log.js';
import { brainContract, CONTRACTS, embedContract, sessionWriteContract } from '../lib/protocol/index.js';
import { startFunctionServer } from '../lib/runtime/server.js';

const [name, prefix] = process.argv.slice(2) as [string, string];
const config = loadConfigOrExit({ LOG_LEVEL: 'error', ...process.env });
const log = createLogger(`bench-${name}`, config.logLevel);
const contracts = {
  ...CONTRACTS,
  brain: { ...brainContract, subject: `${prefix}.brain` },
  embed: { ...embedContract, subject: `${prefix}.embed` },
  'session-write': { ...sessionWriteContract, subject: `${prefix}.session` },
};
const definitions = {
  embed: () => ({ ...embedDefinition, contract: contracts.embed }),
  'session-write': () =>
    sessionWriteFunction({
      subject: contracts['session-write'].subject,
      durable: { stream: `BENCH_${prefix.replace(/\W/g, '_')}`, subjectPrefix: `${prefix}.sessions`, durable: 'w' },
    }),
  brain: () => brainFunction({ subject: contracts.brain.subject }),
};
const make = definitions[name as keyof typeof definitions];
if (!make) throw new Error(`unknown function ${name}`);
const link = new NatsLink({ servers: config.natsUrl, name: `bench-${name}`, log });
const client = new FunctionClient({ log, nats: link, contracts }) as unknown as FunctionClient;
const server = await startFunctionServer(make() as never, { config, log, port: false, nats: link, client });
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  server
    .stop(5_000)
    .then(() => link.close())
    .finally(() => process.exit(0));
});
