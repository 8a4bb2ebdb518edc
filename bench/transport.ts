// bench/transport: one replica, three ways to call it, side by side in one run.
//   NATS request-reply (FunctionClient) vs HTTP fallback (FunctionClient) vs in-process (FunctionClient),
//   plus bare nats.js request-reply (no runtime) as the floor, and streamed first-chunk latency.
// Usage: npm run bench:transport [-- --calls 5000 --streams 1000]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';
import { FunctionClient } from '../lib/bus/client.js';
import { NatsLink } from '../lib/bus/nats-link.js';
import { loadConfig } from '../lib/config/index.js';
import { createLogger } from '../lib/log.js';
import { jsonStreamContract, unaryContract } from '../lib/protocol/index.js';
import { defineFunction } from '../lib/runtime/define.js';
import { FunctionRuntime } from '../lib/runtime/runtime.js';
import { startFunctionServer } from '../lib/runtime/server.js';
import type { Transport } from '../lib/telemetry/metrics.js';
import { formatTable, ms, percentiles } from './stats.js';

const { values: args } = parseArgs({
  options: { calls: { type: 'string', default: '5000' }, streams: { type: 'string', default: '1000' } },
});
const CALLS = Number(args.calls);
const STREAMS = Number(args.streams);
const ROUNDS = 10;

const prefix = `bench.${randomUUID().slice(0, 8)}`;
const contracts = {
  ping: unaryContract({
    name: 'ping',
    subject: `${prefix}.ping`,
    description: 'returns its payload',
    request: z.object({ text: z.string() }),
    response: z.object({ text: z.string() }),
  }),
  ticks: jsonStreamContract({
    name: 'ticks',
    subject: `${prefix}.ticks`,
    description: 'streams n small chunks',
    request: z.object({ requestId: z.string(), n: z.number().int() }),
    chunk: z.object({ i: z.number() }),
  }),
};
const ping = defineFunction(contracts.ping, () => ({ handle: async (req) => ({ text: req.text }) }));
const ticks = defineFunction(contracts.ticks, () => ({
  async *handle(req) {
    for (let i = 0; i < req.n; i++) yield { i };
  },
}));

const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
const log = createLogger('bench', 'warn');
const servers = [
  await startFunctionServer(ping, { config, log, port: 0, host: '127.0.0.1' }),
  await startFunctionServer(ticks, { config, log, port: 0, host: '127.0.0.1' }),
];
const urls = new Map<string, string>(servers.map((s) => [s.runtime.contract.name, s.url as string]));
const link = new NatsLink({ servers: config.natsUrl, name: 'bench', log });
await link.ready();
const offline = NatsLink.offline(log);
const local = new Map<string, FunctionRuntime>();
for (const def of [ping, ticks]) {
  const runtime = new FunctionRuntime(def as never, log);
  await runtime.start({ config, log, nats: offline, client: new FunctionClient({ log }) });
  local.set(def.contract.name, runtime);
}
const client = new FunctionClient({ log, nats: link, http: (n) => urls.get(n), local, contracts });
const bare = await connect({ servers: config.natsUrl });
const bareSub = bare.subscribe(`${prefix}.bare`, {
  callback: (_e, m) => {
    m.respond(m.data);
  },
});
await bare.flush();

type Series = 'bare nats.js' | Transport;
const unary: Record<Series, number[]> = { 'bare nats.js': [], nats: [], http: [], inproc: [] };
const firstChunk: Record<Transport, number[]> = { nats: [], http: [], inproc: [] };
const body = new TextEncoder().encode(JSON.stringify({ text: 'hello from the bench' }));

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const unaryRunners: Record<Series, () => Promise<unknown>> = {
  'bare nats.js': () => bare.request(`${prefix}.bare`, body, { timeout: 2_000 }),
  nats: () => client.call('ping', { text: 'hello from the bench' }, { transports: ['nats'] }),
  http: () => client.call('ping', { text: 'hello from the bench' }, { transports: ['http'] }),
  inproc: () => client.call('ping', { text: 'hello from the bench' }, { transports: ['inproc'] }),
};

async function firstOf(transport: Transport): Promise<number> {
  const t0 = performance.now();
  let first = 0;
  for await (const _ of client.stream('ticks', { requestId: randomUUID(), n: 10 }, { transports: [transport] })) {
    if (first === 0) first = performance.now() - t0;
  }
  return first;
}

process.stderr.write(`warming up…\n`);
for (const run of Object.values(unaryRunners)) for (let i = 0; i < 300; i++) await run();
for (const t of ['nats', 'http', 'inproc'] as const) for (let i = 0; i < 100; i++) await firstOf(t);

// Interleave transports in rounds so machine noise lands on all of them alike.
for (let round = 0; round < ROUNDS; round++) {
  process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
  for (const [series, run] of Object.entries(unaryRunners) as [Series, () => Promise<unknown>][]) {
    for (let i = 0; i < CALLS / ROUNDS; i++) unary[series].push(await time(run));
  }
  for (const t of ['nats', 'http', 'inproc'] as const) {
    for (let i = 0; i < STREAMS / ROUNDS; i++) firstChunk[t].push(await firstOf(t));
  }
}

const inproc50 = percentiles(unary.inproc).p50;
const rows = (Object.entries(unary) as [Series, number[]][]).map(([series, xs]) => {
  const p = percentiles(xs);
  return [series, String(p.n), ms(p.p50), ms(p.p95), ms(p.p99), ms(p.mean), `${(p.p50 / inproc50).toFixed(1)}×`];
});
process.stdout.write(`\nUnary round trip, ms (${CALLS} sequential calls each, ${ROUNDS} interleaved rounds)\n`);
process.stdout.write(formatTable(['path', 'calls', 'P50', 'P95', 'P99', 'mean', 'P50 vs in-process'], rows));
const streamRows = (Object.entries(firstChunk) as [Transport, number[]][]).map(([t, xs]) => {
  const p = percentiles(xs);
  return [t, String(p.n), ms(p.p50), ms(p.p95), ms(p.p99), ms(p.mean)];
});
process.stdout.write(`\nStreamed first-chunk latency, ms (10-chunk streams)\n`);
process.stdout.write(formatTable(['path', 'streams', 'P50', 'P95', 'P99', 'mean'], streamRows));
const natsP95 = percentiles(unary.nats).p95;
process.stdout.write(`\nTarget: NATS round trip P95 < 2 ms → ${natsP95 < 2 ? 'met' : 'NOT met'} (${ms(natsP95)} ms)\n`);

bareSub.unsubscribe();
await bare.close();
await link.close();
for (const s of servers) await s.stop(1_000);
process.exit(0);
