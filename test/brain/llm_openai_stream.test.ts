// The OpenAI-compatible adapter against a protocol-faithful SSE test peer, alone and inside the brain over NATS.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GenerateInput, OpenAiCompatibleLlm } from '../../lib/engines/llm/index.js';
import type { BrainChunk } from '../../lib/protocol/index.js';
import { testLogger } from '../helpers/env.js';
import { testDatabase } from './helpers/db.js';
import { type OpenAiPeer, startOpenAiPeer } from './helpers/openai-peer.js';
import { type BrainStack, startBrainStack } from './helpers/stack.js';

const log = testLogger('openai');
let peer: OpenAiPeer;

const input = (signal = new AbortController().signal): GenerateInput => ({
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'hi' },
  ],
  userText: 'hi',
  memories: [],
  signal,
});

async function collect(llm: OpenAiCompatibleLlm, i = input()) {
  const out: string[] = [];
  for await (const t of llm.generate(i)) out.push(t);
  return out;
}

beforeAll(async () => {
  peer = await startOpenAiPeer({ kind: 'reply', tokens: [] });
});
afterAll(async () => {
  await peer?.close();
});

describe('OpenAiCompatibleLlm', () => {
  it('streams deltas in order and sends the OpenAI request body', async () => {
    peer.script = { kind: 'reply', tokens: ['Hello', ' there', '.', ' How', ' are', ' you?'] };
    const llm = new OpenAiCompatibleLlm({ endpoint: peer.url, model: 'llama3.2' }, log);
    expect(await collect(llm)).toEqual(['Hello', ' there', '.', ' How', ' are', ' you?']);
    const req = peer.requests.at(-1);
    expect(req).toMatchObject({ model: 'llama3.2', stream: true, messages: input().messages });
    expect(llm.model).toBe('openai:llama3.2');
  });

  it('accepts an endpoint that already ends in /v1', async () => {
    peer.script = { kind: 'reply', tokens: ['ok'] };
    const llm = new OpenAiCompatibleLlm({ endpoint: `${peer.url}/v1/`, model: 'm' }, log);
    expect(await collect(llm)).toEqual(['ok']);
  });

  it('yields the first delta while the server is still holding the rest', async () => {
    peer.script = { kind: 'reply', tokens: ['First sentence.', ' Second one.'], holdAfterFirstMs: 400 };
    const llm = new OpenAiCompatibleLlm({ endpoint: peer.url, model: 'm' }, log);
    const got: { text: string; at: number }[] = [];
    for await (const text of llm.generate(input())) got.push({ text, at: performance.now() });
    expect(got.map((g) => g.text)).toEqual(['First sentence.', ' Second one.']);
    expect((got[1]?.at ?? 0) - (got[0]?.at ?? 0)).toBeGreaterThan(300);
  });

  it('an HTTP error becomes a typed error carrying the server message', async () => {
    peer.script = { kind: 'http-error', status: 500, message: 'CUDA out of memory' };
    const llm = new OpenAiCompatibleLlm({ endpoint: peer.url, model: 'm' }, log);
    await expect(collect(llm)).rejects.toMatchObject({
      code: 'upstream',
      message: expect.stringMatching(/500: CUDA out of memory/),
    });
    peer.script = { kind: 'http-error', status: 404, message: 'model "nope" not found' };
    await expect(collect(llm)).rejects.toMatchObject({ message: expect.stringMatching(/404: model "nope" not found/) });
  });

  it('an error event mid-stream fails after the deltas before it', async () => {
    peer.script = { kind: 'error-mid-stream', tokens: ['Partial'], message: 'context length exceeded' };
    const llm = new OpenAiCompatibleLlm({ endpoint: peer.url, model: 'm' }, log);
    const got: string[] = [];
    const run = async () => {
      for await (const t of llm.generate(input())) got.push(t);
    };
    await expect(run()).rejects.toMatchObject({
      code: 'upstream',
      message: expect.stringMatching(/context length exceeded/),
    });
    expect(got).toEqual(['Partial']);
  });

  it('a disconnect mid-stream (no [DONE]) is an error, never a silently short reply', async () => {
    peer.script = { kind: 'disconnect-mid-stream', tokens: ['Half', ' a'] };
    const llm = new OpenAiCompatibleLlm({ endpoint: peer.url, model: 'm' }, log);
    const got: string[] = [];
    const run = async () => {
      for await (const t of llm.generate(input())) got.push(t);
    };
    await expect(run()).rejects.toMatchObject({
      code: 'upstream',
      message: expect.stringMatching(/before \[DONE\]|broke/),
    });
    expect(got).toEqual(['Half', ' a']);
  });

  it('a stalled stream hits the idle timeout', async () => {
    peer.script = { kind: 'stall', tokens: ['Hmm'] };
    const llm = new OpenAiCompatibleLlm({ endpoint: peer.url, model: 'm', idleTimeoutMs: 300 }, log);
    await expect(collect(llm)).rejects.toMatchObject({ code: 'timeout', message: expect.stringMatching(/idle/) });
  });

  it('an unreachable server is a typed upstream error', async () => {
    const llm = new OpenAiCompatibleLlm({ endpoint: 'http://127.0.0.1:9', model: 'm' }, log);
    await expect(collect(llm)).rejects.toMatchObject({
      code: 'upstream',
      message: expect.stringMatching(/unreachable/),
    });
  });

  it('aborting mid-stream ends quietly and closes the connection', async () => {
    peer.script = { kind: 'reply', tokens: ['a', 'b', 'c', 'd', 'e', 'f'], gapMs: 100 };
    peer.clientAborted = false;
    const llm = new OpenAiCompatibleLlm({ endpoint: peer.url, model: 'm' }, log);
    const ac = new AbortController();
    const got: string[] = [];
    for await (const t of llm.generate(input(ac.signal))) {
      got.push(t);
      if (got.length === 2) ac.abort();
    }
    expect(got).toEqual(['a', 'b']);
    await new Promise((r) => setTimeout(r, 150));
    expect(peer.clientAborted).toBe(true);
  });
});

describe('the brain over NATS with the OpenAI-compatible adapter', () => {
  let host: Awaited<ReturnType<typeof testDatabase>>;
  let stack: BrainStack;
  beforeAll(async () => {
    host = await testDatabase();
    stack = await startBrainStack({
      databaseUrl: host.url,
      sessionWrite: true,
      brain: true,
      env: { LLM_ENDPOINT: peer.url, LLM_MODEL: 'qwen2.5' },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await host?.dispose();
  });

  it('the first sentence reaches the caller before the LLM has produced the second', async () => {
    peer.script = { kind: 'reply', tokens: ['Lisbon is lovely.', ' It has trams.'], holdAfterFirstMs: 500 };
    const arrivals: { chunk: BrainChunk; at: number }[] = [];
    const stream = stack.client.stream('brain', {
      requestId: randomUUID(),
      sessionId: `s-${randomUUID().slice(0, 8)}`,
      userId: 'u-openai',
      text: 'Tell me about Lisbon.',
    });
    for await (const chunk of stream) arrivals.push({ chunk, at: performance.now() });
    const deltas = arrivals.filter((a) => a.chunk.type === 'delta');
    expect(deltas.map((d) => (d.chunk as { text: string }).text)).toEqual(['Lisbon is lovely.', ' It has trams.']);
    expect((deltas[1]?.at ?? 0) - (deltas[0]?.at ?? 0)).toBeGreaterThan(400);
    const final = arrivals.at(-1)?.chunk;
    expect(final).toMatchObject({
      type: 'final',
      response: 'Lisbon is lovely. It has trams.',
      model: 'openai:qwen2.5',
    });
    // The system prompt for a spoken assistant went to the server.
    expect(peer.requests.at(-1)?.messages[0]).toMatchObject({
      role: 'system',
      content: expect.stringMatching(/spoken aloud/),
    });
    expect(peer.requests.at(-1)?.messages.at(-1)).toEqual({ role: 'user', content: 'Tell me about Lisbon.' });
  });

  it('barge-in: cancelling mid-reply stops the LLM, and what was said is still persisted, marked interrupted', async () => {
    peer.script = { kind: 'reply', tokens: ['One.', ' Two.', ' Three.', ' Four.', ' Five.'], gapMs: 150 };
    peer.clientAborted = false;
    const requestId = randomUUID();
    const stream = stack.client.stream('brain', {
      requestId,
      sessionId: `s-${randomUUID().slice(0, 8)}`,
      userId: 'u-barge',
      text: 'Count to five slowly.',
    });
    const deltas: string[] = [];
    for await (const c of stream) {
      if (c.type === 'delta') deltas.push(c.text);
      if (deltas.length === 2) stream.cancel();
    }
    expect(deltas).toEqual(['One.', ' Two.']);
    const { createPool } = await import('../../lib/db/index.js');
    const pool = createPool({ url: host.url, max: 1, statementTimeoutMs: 5_000, log });
    try {
      let row: { text: string; interrupted: boolean } | undefined;
      const until = Date.now() + 5_000;
      while (!row && Date.now() < until) {
        row = (
          await pool.query('SELECT text, interrupted FROM agents.conversations WHERE id = $1', [
            `${requestId}-assistant`,
          ])
        ).rows[0];
        if (!row) await new Promise((r) => setTimeout(r, 50));
      }
      expect(row?.interrupted).toBe(true);
      expect(row?.text.startsWith('One. Two.')).toBe(true);
      expect(row?.text).not.toContain('Five.');
      expect(peer.clientAborted).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('an LLM failure mid-reply reaches the caller as a typed error after the deltas before it', async () => {
    peer.script = { kind: 'disconnect-mid-stream', tokens: ['Well,'] };
    const got: BrainChunk[] = [];
    const run = async () => {
      for await (const c of stack.client.stream('brain', {
        requestId: randomUUID(),
        sessionId: `s-${randomUUID().slice(0, 8)}`,
        userId: 'u-openai',
        text: 'Say something.',
      }))
        got.push(c);
    };
    await expect(run()).rejects.toMatchObject({ code: 'upstream' });
    expect(got.map((c) => c.type)).toEqual(['context', 'delta']);
  });
});
