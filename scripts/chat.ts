// `npm run chat`: talk to the brain in a terminal; shows the memories it retrieved and per-stage timings.
//
//   npm run chat                       embed, session-write and brain in this process (embedded database)
//   npm run chat -- --nats             talk to functions already running on NATS (NATS_URL)
//   npm run chat -- --user alice --session s1
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import brainDefinition from '../functions/brain/handler.js';
import embedDefinition from '../functions/embed/handler.js';
import sessionWriteDefinition from '../functions/session-write/handler.js';
import { FunctionClient } from '../lib/bus/client.js';
import { NatsLink } from '../lib/bus/nats-link.js';
import { loadConfigOrExit } from '../lib/config/index.js';
import { createLogger } from '../lib/log.js';
import type { BrainChunk } from '../lib/protocol/index.js';
import type { FunctionRuntime } from '../lib/runtime/runtime.js';
import { type FunctionServer, startFunctionServer } from '../lib/runtime/server.js';

const { values: args } = parseArgs({
  options: {
    user: { type: 'string', default: process.env.USER ?? 'me' },
    session: { type: 'string', default: `chat-${randomUUID().slice(0, 8)}` },
    nats: { type: 'boolean', default: false },
  },
});

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

async function main(): Promise<void> {
  // Quiet by default: the terminal is for the conversation; LOG_LEVEL=info shows the functions' logs.
  const config = loadConfigOrExit({ LOG_LEVEL: 'error', ...process.env });
  const log = createLogger('chat', config.logLevel);
  const servers: FunctionServer[] = [];
  let client: FunctionClient;
  let link: NatsLink | undefined;
  if (args.nats) {
    link = new NatsLink({ servers: config.natsUrl, name: 'chat', log });
    await link.ready();
    client = new FunctionClient({ log, nats: link });
  } else {
    const local = new Map<string, FunctionRuntime>();
    const offline = NatsLink.offline(log);
    client = new FunctionClient({ log, local });
    process.stdout.write(dim('starting embed, session-write and brain in this process…\n'));
    for (const def of [embedDefinition, sessionWriteDefinition, brainDefinition]) {
      const server = await startFunctionServer(def as never, {
        config,
        log,
        port: false,
        nats: offline,
        client,
        natsWaitMs: 0,
      });
      servers.push(server);
      local.set(def.contract.name, server.runtime);
    }
  }
  process.stdout.write(
    `${bold('ARC brain chat')} ${dim(`user=${args.user} session=${args.session} · empty line or Ctrl-D quits`)}\n`,
  );
  // Line iteration (not question()) so piped input is read line by line too.
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    process.stdout.write(bold('you> '));
    for await (const line of rl) {
      const text = line.trim();
      if (!text) break;
      if (!process.stdin.isTTY) process.stdout.write(`${text}\n`);
      await turn(client, text);
      process.stdout.write(bold('you> '));
    }
    process.stdout.write('\n');
  } finally {
    rl.close();
    for (const s of servers.reverse()) await s.stop(5_000);
    await link?.close();
  }
}

async function turn(client: FunctionClient, text: string): Promise<void> {
  const t0 = performance.now();
  let firstDeltaAt: number | undefined;
  const stream = client.stream('brain', {
    requestId: randomUUID(),
    sessionId: args.session as string,
    userId: args.user as string,
    text,
  });
  try {
    for await (const chunk of stream as AsyncIterable<BrainChunk>) {
      if (chunk.type === 'context') {
        if (chunk.memories.length === 0) process.stdout.write(dim('  (no memories)\n'));
        for (const m of chunk.memories) {
          process.stdout.write(dim(`  ${m.similarity.toFixed(3)} ${m.source ?? ''} ${m.role}: ${m.text}\n`));
        }
        process.stdout.write(bold('agent> '));
      } else if (chunk.type === 'delta') {
        firstDeltaAt ??= performance.now();
        process.stdout.write(chunk.text);
      } else {
        const t = chunk.timings;
        const stages = Object.entries(t)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        const seen = firstDeltaAt === undefined ? '' : ` · first delta seen ${Math.round(firstDeltaAt - t0)} ms`;
        process.stdout.write(`\n${dim(`  [${chunk.model} · ${stages}${seen} · via ${stream.transport}]`)}\n`);
      }
    }
  } catch (err) {
    process.stdout.write(`\n  error: ${(err as Error).message}\n`);
  }
}

await main();
