// Cold start per function: bundle size, process start → /_/ready (P50 over runs), beside a warm-pool call.
// Each function runs as its image runs it (`node openfaas/entry.mjs`, env from stack.yml, NATS on this machine).
//   npm run bench:coldstart [-- --runs 5 --calls 20]
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FunctionClient } from '../lib/bus/client.js';
import { NatsLink } from '../lib/bus/nats-link.js';
import { createLogger } from '../lib/log.js';
import { CONTRACTS } from '../lib/protocol/contracts/index.js';
import { FUNCTION_NAMES, type FunctionName } from '../lib/protocol/subjects.js';
import { bundlePath } from '../test/deploy/deploy-files.js';
import {
  buildBundles,
  checkHttpReply,
  missingReason,
  postRequest,
  sampleRequest,
  startFakeLlm,
  startFunctionProcess,
  waitFor,
} from '../test/deploy/function-process.js';
import { percentiles } from './stats.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, calls: { type: 'string', default: '20' } },
});
const RUNS = Number(values.runs);
const CALLS = Number(values.calls);
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

interface Row {
  name: string;
  bundleKiB: number;
  mapKiB: number;
  health: number[];
  ready: number[];
  natsCall: number[];
  httpCall: number[];
}

async function callOnce(client: FunctionClient, name: FunctionName): Promise<void> {
  const contract = CONTRACTS[name];
  if (contract.mode === 'unary') {
    await client.call(name as 'embed' | 'session-write', sampleRequest(name) as never, { transports: ['nats'] });
    return;
  }
  for await (const _ of client.stream(name as 'brain' | 'tts', sampleRequest(name) as never, {
    transports: ['nats'],
  })) {
    // drain the stream: the call ends at its last chunk
  }
}

async function measure(name: FunctionName, llmUrl: string, client: FunctionClient): Promise<Row> {
  const row: Row = {
    name,
    bundleKiB: statSync(bundlePath(name)).size / 1024,
    mapKiB: statSync(`${bundlePath(name)}.map`).size / 1024,
    health: [],
    ready: [],
    natsCall: [],
    httpCall: [],
  };
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    const p = await startFunctionProcess(name, { natsUrl: NATS_URL, llmUrl, logLevel: 'warn' });
    try {
      await waitFor(p, '/_/health', 60_000);
      row.health.push(performance.now() - t0);
      await waitFor(p, '/_/ready', 60_000);
      row.ready.push(performance.now() - t0);
      if (run === RUNS - 1) {
        // The warm pool: the same replica, already set up, answering one request after another.
        await callOnce(client, name);
        await checkHttpReply(name, await postRequest(p.url, sampleRequest(name)));
        for (let i = 0; i < CALLS; i++) {
          const t = performance.now();
          await callOnce(client, name);
          row.natsCall.push(performance.now() - t);
          const h = performance.now();
          await checkHttpReply(name, await postRequest(p.url, sampleRequest(name)));
          row.httpCall.push(performance.now() - h);
        }
      }
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
      await p.dispose();
    }
  }
  return row;
}

const ms = (xs: number[]) => (xs.length ? `${Math.round(percentiles(xs).p50)}` : '–');

async function main(): Promise<void> {
  buildBundles();
  const log = createLogger('bench', 'silent');
  const link = new NatsLink({ servers: NATS_URL, name: 'bench-coldstart', log });
  await link.ready();
  const client = new FunctionClient({ log, nats: link });
  // The brain's LLM is a local fake streaming 8 deltas 40 ms apart, so its figures are the brain's own plus ~320 ms.
  const llm = await startFakeLlm();
  const rows: Row[] = [];
  const skipped: string[] = [];
  try {
    // Functions call embed over NATS: keep one warm embed replica up while measuring the others.
    const embed = missingReason('embed')
      ? undefined
      : await startFunctionProcess('embed', { natsUrl: NATS_URL, logLevel: 'warn' });
    if (embed) await waitFor(embed, '/_/ready', 60_000);
    try {
      for (const name of FUNCTION_NAMES) {
        const missing = missingReason(name);
        if (missing) skipped.push(`${name} (${missing})`);
        else rows.push(await measure(name, llm.url, client));
      }
    } finally {
      if (embed) {
        embed.child.kill('SIGTERM');
        await embed.exited;
        await embed.dispose();
      }
    }
  } finally {
    await llm.close();
    await link.close();
  }
  const out = [
    `Cold start vs warm pool — node ${process.version}, ${RUNS} cold starts per function (P50), ${CALLS} warm calls (P50).`,
    '',
    '| function | bundle (KiB) | source map (KiB) | start → /_/health (ms) | start → /_/ready (ms) | warm call over NATS (ms) | warm call over HTTP (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.bundleKiB)} | ${Math.round(r.mapKiB)} | ${ms(r.health)} | ${ms(r.ready)} | ${ms(r.natsCall)} | ${ms(r.httpCall)} |`,
    ),
  ];
  if (skipped.length) out.push('', `Not measured: ${skipped.join('; ')}.`);
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
