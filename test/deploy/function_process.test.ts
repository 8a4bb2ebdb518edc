// Each function bundle as its own process, started as the image's entry starts it with stack.yml's environment:
// health, readiness, a valid answer over HTTP and over NATS, and a clean SIGTERM drain with a request in flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACTS } from '../../lib/protocol/contracts/index.js';
import { FUNCTION_NAMES, type FunctionName } from '../../lib/protocol/subjects.js';
import { NATS_URL } from '../helpers/env.js';
import { type TestClient, testClient } from '../helpers/replicas.js';
import {
  buildBundles,
  checkHttpReply,
  type FunctionProcess,
  missingReason,
  postRequest,
  sampleRequest,
  servedCount,
  startFakeLlm,
  startFunctionProcess,
  waitFor,
} from './function-process.js';

buildBundles();
const runnable = FUNCTION_NAMES.filter((n) => !missingReason(n));
const procs = new Map<string, FunctionProcess>();
let llm: Awaited<ReturnType<typeof startFakeLlm>>;
let client: TestClient<typeof CONTRACTS>;

beforeAll(async () => {
  llm = await startFakeLlm();
  client = await testClient(CONTRACTS);
  // All at once, as in a deployment: brain and session-write call embed over NATS.
  await Promise.all(
    runnable.map(async (name) => {
      procs.set(name, await startFunctionProcess(name, { natsUrl: NATS_URL, llmUrl: llm.url }));
    }),
  );
}, 90_000);

afterAll(async () => {
  await Promise.all([...procs.values()].map((p) => p.dispose()));
  await client?.close();
  await llm?.close();
});

describe.each(FUNCTION_NAMES.map((name) => [name, missingReason(name)] as const))('%s process', (name, missing) => {
  const run = it.skipIf(missing !== undefined);
  const why = missing ? ` — skipped: ${missing}` : '';
  const proc = () => procs.get(name) as FunctionProcess;

  run(
    `answers /_/health, then /_/ready once set up${why}`,
    async () => {
      await waitFor(proc(), '/_/health');
      await waitFor(proc(), '/_/ready', 60_000);
      const ready = await (await fetch(`${proc().url}/_/ready`)).json();
      expect(ready).toMatchObject({ ready: true, function: name, nats: 'connected' });
      const metrics = await (await fetch(`${proc().url}/metrics`)).text();
      expect(metrics).toMatch(/process_cpu/);
    },
    70_000,
  );

  run(
    `answers a valid request over HTTP (POST /)${why}`,
    async () => {
      await waitFor(proc(), '/_/ready', 60_000);
      const res = await postRequest(proc().url, sampleRequest(name));
      expect(await checkHttpReply(name, res)).toBeTruthy();
    },
    30_000,
  );

  run(
    `answers a valid request over NATS (queue group on ${CONTRACTS[name].subject})${why}`,
    async () => {
      const p = proc();
      await waitFor(p, '/_/ready', 60_000);
      const contract = CONTRACTS[name];
      const before = await servedCount(p, 'nats');
      // Other replicas of the queue group may run on this machine: call until this one has served one.
      for (let i = 0; i < 20 && (await servedCount(p, 'nats')) === before; i++) {
        if (contract.mode === 'unary') {
          const unary = name as 'embed' | 'session-write';
          const res = await client.client.call(unary, sampleRequest(unary) as never, { transports: ['nats'] });
          expect(() => contract.response.parse(res)).not.toThrow();
        } else {
          const stream = client.client.stream(name as 'brain' | 'tts', sampleRequest(name) as never, {
            transports: ['nats'],
          });
          let chunks = 0;
          for await (const chunk of stream) {
            if (contract.encoding === 'json') contract.chunk.parse(chunk);
            else expect((chunk as Uint8Array).byteLength).toBeGreaterThan(0);
            chunks++;
          }
          expect(stream.transport).toBe('nats');
          expect(chunks).toBeGreaterThan(0);
        }
      }
      expect(await servedCount(p, 'nats')).toBeGreaterThan(before);
    },
    30_000,
  );

  run(
    `SIGTERM: requests in flight complete, the process exits 0 within SHUTDOWN_GRACE_MS${why}`,
    async () => {
      const p = proc();
      await waitFor(p, '/_/ready', 60_000);
      const graceMs = Number(p.env.SHUTDOWN_GRACE_MS);
      expect(graceMs).toBeGreaterThan(0);
      // Keep the replica busy from several clients so requests are in flight at the moment of the signal.
      type Outcome = { start: number; end: number; status: number | 'refused'; body: string };
      const outcomes: Outcome[] = [];
      let stop = false;
      const worker = async () => {
        while (!stop) {
          const start = performance.now();
          try {
            const res = await postRequest(p.url, sampleRequest(name as FunctionName, longText(name), 8));
            let body = 'ok';
            if (res.status === 200) body = await checkHttpReply(name, res).catch((e: Error) => `BROKEN ${e.message}`);
            else await res.text();
            outcomes.push({ start, end: performance.now(), status: res.status, body });
          } catch {
            outcomes.push({ start, end: performance.now(), status: 'refused', body: '' });
            return; // the listener is closed: the process is going away
          }
        }
      };
      const workers = Array.from({ length: 4 }, worker);
      await new Promise((r) => setTimeout(r, 400));
      const signalledAt = performance.now();
      p.child.kill('SIGTERM');
      const code = await p.exited;
      const exitMs = performance.now() - signalledAt;
      stop = true;
      await Promise.all(workers);

      expect(code, p.output().slice(-2000)).toBe(0);
      expect(exitMs).toBeLessThan(graceMs);
      const straddling = outcomes.filter((o) => o.start < signalledAt && o.end > signalledAt);
      const completed = straddling.filter((o) => o.status === 200 && !o.body.startsWith('BROKEN'));
      expect(completed.length, JSON.stringify(straddling)).toBeGreaterThan(0);
      // Nothing accepted was cut: every reply is whole, a late one is refused cleanly (503 while draining, or no listener).
      for (const o of outcomes) {
        expect(o.body.startsWith('BROKEN'), o.body).toBe(false);
        expect([200, 503, 'refused']).toContain(o.status);
      }
      // The runtime drained rather than aborted. (Its `inflight` count at the signal can be 0 for a function whose
      // handler blocks the event loop, like embed's encoder: the requests then still reading are counted later.)
      const logs = p.logs();
      expect(logs.find((l) => l.msg === 'draining')).toMatchObject({ graceMs });
      expect(logs.find((l) => l.msg === 'stopped')).toMatchObject({ completed: true, aborted: 0 });
    },
    60_000,
  );
});

/** Work long enough to be caught in flight, short enough to finish well inside the grace period. */
function longText(name: string): string {
  const sentence = 'The quick brown fox jumps over the lazy dog. ';
  return name === 'tts' ? sentence.repeat(6) : sentence.repeat(3);
}
