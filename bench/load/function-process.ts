// One function of a bench's NATS stack as its own process, as `npm start` runs it (a warm child on NATS), for
// bench/load and bench/brain: `node --import tsx bench/load/function-process.ts <name> <prefix>`. Prints "ready" once it serves; SIGTERM stops.
// Subjects are `<prefix>.<name>` so a bench never answers (or steals) requests of another stack on the same NATS.
import { brainFunction } from '../../functions/brain/handler.js';
import embedDefinition from '../../functions/embed/handler.js';
import { sessionWriteFunction } from '../../functions/session-write/handler.js';
import ttsDefinition from '../../functions/tts/handler.js';
import { FunctionClient } from '../../lib/bus/client.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { loadConfigOrExit } from '../../lib/config/index.js';
import { createLogger } from '../../lib/log.js';
import { startFunctionServer } from '../../lib/runtime/server.js';
import { benchContracts, benchSessionsStream } from './contracts.js';

const [name, prefix] = process.argv.slice(2) as [string, string];
const config = loadConfigOrExit({ LOG_LEVEL: 'error', ...process.env });
const log = createLogger(`bench-${name}`, config.logLevel);
const contracts = benchContracts(prefix);
const definitions = {
  brain: () => brainFunction({ subject: contracts.brain.subject }),
  tts: () => ({ ...ttsDefinition, contract: contracts.tts }),
  embed: () => ({ ...embedDefinition, contract: contracts.embed }),
  'session-write': () =>
    sessionWriteFunction({
      subject: contracts['session-write'].subject,
      durable: { stream: benchSessionsStream(prefix), subjectPrefix: `${prefix}.sessions`, durable: 'w' },
    }),
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
