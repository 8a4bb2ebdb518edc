// The tts function (tts.request) over the real NATS server: streamed PCM with Arc-Seq / Arc-Sample-Rate,
// durations that match the engine, cancel that kills the synthesising process, typed errors for bad input.
import { randomUUID } from 'node:crypto';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ttsFunction, { ttsSetup } from '../../functions/tts/handler.js';
import { liveChildren } from '../../lib/audio/process.js';
import { FliteEngine } from '../../lib/engines/tts/flite.js';
import { encodeJson, HDR_END, HDR_ERROR, HDR_SAMPLE_RATE, HDR_SEQ, ttsContract } from '../../lib/protocol/index.js';
import { defineFunction } from '../../lib/runtime/define.js';
import type { FunctionServer } from '../../lib/runtime/server.js';
import { NATS_URL } from '../helpers/env.js';
import { startReplica, type TestClient, testClient } from '../helpers/replicas.js';
import { expectNoEngineProcesses } from './helpers/speech.js';

// The real contract on a subject of this file's own, so a running system's tts replicas never answer.
const contract = { ...ttsContract, subject: `test.${randomUUID().slice(0, 8)}.tts` };
const FOUR = 'Sure. The weather today is sunny and warm. You might want a hat. Have a lovely afternoon!';

let replica: FunctionServer;
let t: TestClient<{ tts: typeof contract }>;
let raw: NatsConnection;
let reference: FliteEngine;

beforeAll(async () => {
  replica = await startReplica(defineFunction(contract, ttsSetup(), { maxConcurrent: 4 }));
  t = await testClient({ tts: contract });
  raw = await connect({ servers: NATS_URL });
  reference = await FliteEngine.create();
});

afterAll(async () => {
  await t?.close();
  await raw?.close();
  await replica?.stop(2_000);
  await expectNoEngineProcesses();
});

async function drain(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe('tts.request over NATS', () => {
  it('is the tts contract served by a default export built with defineFunction', () => {
    expect(ttsFunction.contract).toBe(ttsContract);
    expect(ttsFunction.maxConcurrent).toBeGreaterThan(0);
  });

  it('streams Arc-Seq 0,1,2… with Arc-Sample-Rate on every chunk, then Arc-End', async () => {
    const inbox = createInbox();
    const sub = raw.subscribe(inbox);
    raw.publish(contract.subject, encodeJson({ requestId: randomUUID(), text: FOUR, sampleRate: 24000 }), {
      reply: inbox,
    });
    const seqs: number[] = [];
    let bytes = 0;
    for await (const m of sub) {
      expect(m.headers?.get(HDR_ERROR)).toBeFalsy();
      seqs.push(Number(m.headers?.get(HDR_SEQ)));
      if (m.headers?.get(HDR_END) === '1') break;
      expect(m.headers?.get(HDR_SAMPLE_RATE)).toBe('24000');
      expect(m.data.length).toBeLessThanOrEqual(0.2 * 24000 * 2);
      bytes += m.data.length;
    }
    sub.unsubscribe();
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(seqs.length).toBeGreaterThan(8);
    expect(bytes / 2 / 24000).toBeGreaterThan(3);
  });

  it('sends exactly the audio the engine makes: duration at the header rate matches', async () => {
    for (const sampleRate of [undefined, 48000]) {
      const stream = t.client.stream('tts', { requestId: randomUUID(), text: FOUR, sampleRate });
      const chunks = await drain(stream);
      const rate = Number(stream.headers[HDR_SAMPLE_RATE]);
      expect(rate).toBe(sampleRate ?? 16000); // flite slt is 16 kHz
      expect(stream.transport).toBe('nats');
      let expected = 0;
      for await (const c of reference.synthesize(FOUR, { sampleRate })) expected += c.samples.length;
      expect(chunks.reduce((n, c) => n + c.length, 0) / 2).toBe(expected);
    }
  });

  it('cancel mid-stream: iteration ends, the replica stops, and no synthesis process remains', async () => {
    const text = Array.from({ length: 20 }, (_, i) => `This is sentence number ${i + 1} of a long answer.`).join(' ');
    const stream = t.client.stream('tts', { requestId: randomUUID(), text });
    let received = 0;
    for await (const _ of stream) {
      if (++received === 2) stream.cancel();
    }
    expect(received).toBeLessThanOrEqual(3);
    const until = Date.now() + 3_000;
    while ((replica.runtime.inflightCount > 0 || liveChildren().length > 0) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(replica.runtime.inflightCount).toBe(0);
    expect(liveChildren()).toEqual([]);
  });

  it('refuses bad input with typed errors before any audio, and keeps serving', async () => {
    // The client checks the schema before sending; the replica checks speakability and the voice.
    const fails = (req: Record<string, unknown>) =>
      (async () => drain(t.client.stream('tts', { requestId: randomUUID(), text: 'Hello.', ...req } as never)))().catch(
        (e) => e,
      );
    expect(await fails({ text: '' })).toMatchObject({ code: 'invalid_request' });
    expect(await fails({ text: '😀 ☃ ✓' })).toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/nothing speakable/),
    });
    expect(await fails({ voice: 'no-such-voice' })).toMatchObject({
      code: 'unknown_voice',
      message: expect.stringMatching(/slt/),
    });
    expect(await fails({ sampleRate: 12345 })).toMatchObject({ code: 'invalid_request' });
    expect(
      (await drain(t.client.stream('tts', { requestId: randomUUID(), text: 'Still here.' }))).length,
    ).toBeGreaterThan(0);
  });

  it('takes a 100 KB text and streams it chunk by chunk (cancelled after the first few)', async () => {
    const sentence = 'The quick brown fox jumps over the lazy dog near the river bank. ';
    const text = sentence.repeat(Math.ceil(100_000 / sentence.length));
    const stream = t.client.stream('tts', { requestId: randomUUID(), text });
    let received = 0;
    for await (const _ of stream) {
      if (++received === 10) stream.cancel();
    }
    expect(received).toBeGreaterThanOrEqual(10);
    expect(received).toBeLessThanOrEqual(11);
  });

  it('serves four requests at once', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) => drain(t.client.stream('tts', { requestId: randomUUID(), text: `Request number ${i}.` }))),
    );
    expect(results.every((chunks) => chunks.length > 0)).toBe(true);
  });
});
