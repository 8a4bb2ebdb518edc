// Fuzz of every function's NATS and HTTP surface with malformed requests (fast-check, reproducible by seed): the
// real brain, tts, embed and session-write replicas (real engines, an embedded PGlite, a private nats-server).
// Each reply must be a typed error (Arc-Error header + `{code, message}` body with a known code), none may hang
// (a 5 s deadline each), and afterwards every replica still answers a valid request. FUZZ_RUNS sets how many per
// surface; FUZZ_SEED replays a run.
import { type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brainFunction } from '../../functions/brain/handler.js';
import embedDefinition from '../../functions/embed/handler.js';
import { sessionWriteFunction } from '../../functions/session-write/handler.js';
import ttsDefinition from '../../functions/tts/handler.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { HDR_HEARTBEAT } from '../../lib/protocol/headers.js';
import {
  type AnyContract,
  CONTRACTS,
  HDR_ERROR,
  HDR_REQUEST_ID,
  HDR_TRACEPARENT,
  isErrorCode,
} from '../../lib/protocol/index.js';
import type { FunctionDefinition } from '../../lib/runtime/define.js';
import { type FunctionServer, startFunctionServer } from '../../lib/runtime/server.js';
import { testDatabase } from '../brain/helpers/db.js';
import { testConfig, testLogger } from '../helpers/env.js';
import { type PrivateNats, startPrivateNats } from '../helpers/nats-server.js';
import { hostileHeaderValues, sampleMalformed } from './malformed.js';

// CI runs 2 500 per surface (~31 s for all eight here); the long form (FUZZ_RUNS=10000) is recorded in docs/reliability.md.
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_500);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const CONCURRENCY = 32;
const DEADLINE_MS = 5_000;
const log = testLogger('fuzz');

const VALID: Record<string, Record<string, unknown>> = {
  brain: { requestId: 'fuzz-1', sessionId: 'fuzz-s', userId: 'fuzz-u', text: 'hello there' },
  tts: { requestId: 'fuzz-2', text: 'Hello.' },
  embed: { texts: ['hello'] },
  'session-write': {
    kind: 'turn',
    eventId: 'fuzz-e',
    sessionId: 'fuzz-s',
    userId: 'fuzz-u',
    role: 'user',
    text: 'hello',
    createdAt: '2026-01-01T00:00:00.000Z',
  },
};
const NAMES = ['embed', 'tts', 'session-write', 'brain'] as const;

let nats: PrivateNats;
let db: Awaited<ReturnType<typeof testDatabase>>;
let link: NatsLink;
const servers = new Map<string, FunctionServer>();
let nc: NatsConnection;
/** Per surface: malformed messages sent, and what came back (by code). */
const report: Record<string, { sent: number; codes: Record<string, number>; ms: number }> = {};

beforeAll(async () => {
  nats = await startPrivateNats();
  db = await testDatabase();
  const config = testConfig({ NATS_URL: nats.url, DATABASE_URL: db.url });
  link = new NatsLink({ servers: nats.url, name: 'fuzz', log });
  nc = await link.ready();
  const defs: Record<string, FunctionDefinition> = {
    embed: embedDefinition as FunctionDefinition,
    tts: ttsDefinition as FunctionDefinition,
    'session-write': sessionWriteFunction() as FunctionDefinition,
    brain: brainFunction() as FunctionDefinition,
  };
  for (const name of NAMES) {
    servers.set(
      name,
      await startFunctionServer(defs[name] as FunctionDefinition, { config, log, port: 0, host: '127.0.0.1' }),
    );
  }
}, 120_000);

afterAll(async () => {
  for (const s of servers.values()) await s.stop(1_000);
  await link?.close();
  await db?.dispose();
  await nats?.kill();
  if (Object.keys(report).length) process.stdout.write(`fuzz (seed ${SEED}): ${JSON.stringify(report)}\n`);
});

/** Runs `send` over `items` with a bounded number in flight. */
async function pool<T>(items: T[], send: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const i = next++;
        await send(items[i] as T, i);
      }
    }),
  );
}

function expectTyped(where: string, code: string | null | undefined, body: Uint8Array | string, input: Uint8Array) {
  const shown = () => `${where}: input ${JSON.stringify(Buffer.from(input).toString('latin1').slice(0, 200))}`;
  expect(code, shown()).toBeTruthy();
  expect(isErrorCode(code as string), shown()).toBe(true);
  const wire = JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as {
    code: string;
    message: string;
  };
  expect(wire.code, shown()).toBe(code);
  expect(typeof wire.message, shown()).toBe('string');
  // Malformed input is the caller's fault: never an internal error, never a timeout.
  expect(['bad_request', 'invalid_request', 'payload_too_large', 'unsupported_audio'], shown()).toContain(code);
}

function tally(surface: string, code: string) {
  const r = report[surface] as { codes: Record<string, number> };
  r.codes[code] = (r.codes[code] ?? 0) + 1;
}

describe.each(NAMES)('%s', (name) => {
  const contract = CONTRACTS[name] as AnyContract;
  const valid = VALID[name] as Record<string, unknown>;

  it(`NATS: ${RUNS} malformed requests (hostile headers too) each get a typed error`, async () => {
    const bodies = sampleMalformed(contract, valid, RUNS, SEED).filter((b) => b.byteLength < 1_000_000);
    const surface = `${name}/nats`;
    report[surface] = { sent: 0, codes: {}, ms: 0 };
    const t0 = performance.now();
    await pool(bodies, async (body, i) => {
      const h = natsHeaders();
      if (i % 3 === 0) h.set(HDR_REQUEST_ID, hostileHeaderValues[i % hostileHeaderValues.length] as string);
      if (i % 5 === 0) h.set(HDR_TRACEPARENT, hostileHeaderValues[(i + 3) % hostileHeaderValues.length] as string);
      if (i % 7 === 0) h.set(HDR_HEARTBEAT, hostileHeaderValues[(i + 5) % hostileHeaderValues.length] as string);
      const msg = await nc.request(contract.subject, body, { timeout: DEADLINE_MS, headers: h });
      (report[surface] as { sent: number }).sent++;
      const code = msg.headers?.get(HDR_ERROR);
      expectTyped(surface, code, msg.data, body);
      tally(surface, code as string);
    });
    (report[surface] as { ms: number }).ms = Math.round(performance.now() - t0);
    expect((report[surface] as { sent: number }).sent).toBe(bodies.length);
  }, 300_000);

  it(`HTTP: ${RUNS} malformed requests each get a typed 4xx`, async () => {
    const server = servers.get(name) as FunctionServer;
    const bodies = sampleMalformed(contract, valid, RUNS, SEED + 1);
    // A few bodies over the contract's limit, announced and not.
    const over = new Uint8Array(contract.maxRequestBytes + 1).fill(0x20);
    bodies.push(over, over);
    const surface = `${name}/http`;
    report[surface] = { sent: 0, codes: {}, ms: 0 };
    const t0 = performance.now();
    const types = [
      'application/json',
      'text/plain',
      'application/octet-stream',
      '',
      'application/json; charset=latin1',
    ];
    await pool(bodies, async (body, i) => {
      const headers: Record<string, string> = {};
      const type = types[i % types.length] as string;
      if (type) headers['content-type'] = type;
      if (i % 4 === 0 && contract.mode === 'stream') headers.accept = 'text/event-stream';
      if (i % 3 === 0) headers[HDR_REQUEST_ID] = hostileHeaderValues[i % 4] as string;
      const res = await fetch(`${server.url}${i % 2 ? '/' : `/function/${name}`}`, {
        method: 'POST',
        headers,
        body: body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(DEADLINE_MS),
      });
      (report[surface] as { sent: number }).sent++;
      expect(res.status, surface).toBeGreaterThanOrEqual(400);
      expect(res.status, surface).toBeLessThan(500);
      const code = res.headers.get(HDR_ERROR);
      expectTyped(surface, code, await res.text(), body);
      tally(surface, code as string);
    });
    (report[surface] as { ms: number }).ms = Math.round(performance.now() - t0);
  }, 300_000);

  it('still answers a valid request on both surfaces afterwards', async () => {
    const server = servers.get(name) as FunctionServer;
    expect(server.runtime.state).toBe('ready');
    const body = new TextEncoder().encode(JSON.stringify(valid));
    const res = await fetch(`${server.url}/`, { method: 'POST', body, signal: AbortSignal.timeout(15_000) });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.arrayBuffer();
    const msg = await nc.request(contract.subject, body, { timeout: 15_000 });
    expect(msg.headers?.get(HDR_ERROR) || null).toBeNull();
  }, 40_000);
});
