// Barge-in and LLM→TTS overlap, with a slow streaming LLM (a protocol-faithful OpenAI-compatible TEST PEER,
// since no LLM server runs here) behind the real brain, and the real tts function recording what it is asked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ttsSetup } from '../../functions/tts/handler.js';
import { ttsContract } from '../../lib/protocol/index.js';
import { defineFunction } from '../../lib/runtime/define.js';
import { functionRequests } from '../../lib/telemetry/metrics.js';
import { sleep } from '../../lib/util/abort.js';
import { type OpenAiPeer, startOpenAiPeer } from '../brain/helpers/openai-peer.js';
import {
  Microphone,
  SessionRecorder,
  silence,
  speak,
  startVoiceStack,
  uniqueUser,
  type VoiceStack,
} from '../helpers/voice-stack.js';
import { fliteReference } from '../speech/helpers/speech.js';

const SENTENCES = [
  'Sure.',
  'Once upon a time a small robot lived in a quiet town by the sea,',
  'and every morning it walked to the harbour to count the boats.',
  'One day it found a boat that nobody had ever seen before.',
];
const TOKENS = SENTENCES.join(' ').split(/(?<= )/);

/** What the tts function was asked, in order, with when (performance.now, same process as the peer). */
const ttsRequests: { text: string; at: number }[] = [];
const recordingTts = defineFunction(ttsContract, async (ctx) => {
  const inner = await ttsSetup()(ctx);
  return {
    ...inner,
    async *handle(req, hctx) {
      ttsRequests.push({ text: req.text, at: performance.now() });
      yield* inner.handle(req, hctx);
    },
  };
});

let peer: OpenAiPeer;
let stack: VoiceStack;

beforeAll(async () => {
  peer = await startOpenAiPeer({ kind: 'reply', tokens: TOKENS, gapMs: 200 });
  stack = await startVoiceStack({
    defaults: { greeting: null },
    env: { LLM_ENDPOINT: `${peer.url}/v1`, LLM_MODEL: 'test-peer' },
    tts: recordingTts,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await peer?.close();
});

describe('streaming reply', () => {
  it('overlaps: TTS of the first sentence starts before the brain has produced the third', async () => {
    const rec = new SessionRecorder();
    const session = await stack.host.open({ userId: uniqueUser(), listener: rec.listener, output: { leadMs: 0 } });
    ttsRequests.length = 0;
    const peerSentBefore = peer.sentAt.length;
    const question = fliteReference('tell me a story');
    await silence(session, 200);
    await speak(session, question.samples, question.sampleRate);
    await silence(session, 600);
    await rec.waitFor('reply-end', () => true, 30_000);
    await session.close();

    const sent = peer.sentAt.slice(peerSentBefore);
    const thirdStarts = TOKENS.findIndex((_, i) =>
      TOKENS.slice(0, i + 1)
        .join('')
        .includes('and every'),
    );
    expect(ttsRequests.length).toBeGreaterThanOrEqual(3);
    expect(ttsRequests[0]?.text).toBe('Sure.');
    expect(ttsRequests[0]?.at).toBeLessThan(sent[thirdStarts] as number);
    // Every chunk is speakable and at most 15 words.
    for (const r of ttsRequests) expect(r.text.split(/\s+/).length).toBeLessThanOrEqual(15);
  }, 60_000);
});

describe('barge-in', () => {
  it('user speech over the agent stops its audio within 200 ms of audio after VAD start of speech, and cancels brain and TTS work', async () => {
    const rec = new SessionRecorder();
    const session = await stack.host.open({ userId: uniqueUser(), listener: rec.listener, output: { leadMs: 0 } });
    const question = fliteReference('tell me a story');
    const interruption = fliteReference('please stop talking now');
    const abortedBefore = peer.clientAborted;
    peer.clientAborted = false;
    const brainCancelledBefore = await cancelled('brain');
    const ttsCancelledBefore = await cancelled('tts');

    const mic = new Microphone(session);
    await sleep(200);
    await mic.say(question.samples, question.sampleRate);
    const speaking = await rec.waitFor('state', (e) => e.agent === 'speaking', 20_000);
    await sleep(600);
    const before = Date.now();
    const feeding = mic.say(interruption.samples, interruption.sampleRate);
    const onset = await rec.waitFor('state', (e) => e.user === 'speaking', 5_000, before);
    await feeding;
    await sleep(1_600);

    // Agent audio released after the start of the user's speech, before any new reply could begin.
    const afterOnset = rec.msBetween(onset.at, onset.at + 1_500);
    expect(afterOnset, `agent audio after onset: ${afterOnset} ms`).toBeLessThanOrEqual(200);
    expect(rec.msBetween(speaking.at, onset.at)).toBeGreaterThan(300); // it really was talking

    const ended = await rec.waitFor('reply-end', (e) => e.interrupted, 10_000, speaking.at);
    expect(ended.text.length).toBeLessThan(SENTENCES.join(' ').length);
    // Function side: the cut reply's brain request (and its LLM call) and tts requests ended as cancelled.
    await waitUntil(() => peer.clientAborted, 3_000, 'the LLM peer saw its request aborted');
    await waitUntil(async () => (await cancelled('brain')) > brainCancelledBefore, 3_000, 'brain request cancelled');
    await waitUntil(async () => (await cancelled('tts')) > ttsCancelledBefore, 3_000, 'tts request cancelled');
    await mic.stop();
    await session.close();
    peer.clientAborted = abortedBefore || peer.clientAborted;
  }, 60_000);
});

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(25);
  }
}

/** Requests of a function that ended cancelled, from the replicas' own Prometheus counter. */
async function cancelled(fn: string): Promise<number> {
  const m = await functionRequests.get();
  return m.values
    .filter((v) => v.labels.function === fn && v.labels.outcome === 'cancelled')
    .reduce((n, v) => n + v.value, 0);
}
