// Spoken-only history (issue 11): an interrupted reply is kept, in the chat context and in agents.conversations,
// as the words that were played (aligned to the played audio duration) and marked interrupted; the brain's
// next request carries exactly that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spokenText } from '../../agent-host/turns.js';
import { sleep } from '../../lib/util/abort.js';
import { Microphone, SessionRecorder, storedTurns, uniqueUser } from '../helpers/voice-stack.js';
import { clip, startTurnStack, type TurnStack } from './harness.js';

const REPLY = [
  'Sure.',
  'Once upon a time a small robot lived in a quiet town by the sea,',
  'and every morning it walked to the harbour to count the boats.',
  'One day it found a boat that nobody had ever seen before.',
];
const NONE = { brainFirstMs: 0, brainTokenMs: 0, ttsFirstMs: 0, ttsChunkMs: 0 };

let t: TurnStack;

beforeAll(async () => {
  t = await startTurnStack(1, 1, NONE, REPLY);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('spoken-only history', () => {
  it('an interrupted reply is stored as what was played (by duration), marked interrupted, and the brain sees that next turn', async () => {
    const rec = new SessionRecorder();
    const local = await t.stack.host.open({ userId: uniqueUser(), listener: rec.listener, output: { leadMs: 0 } });
    const mic = new Microphone(local);
    const ask = clip('tell me a story');
    const stop = clip('please stop talking now');
    const next = clip('what did you say');
    const full = REPLY.join(' ');

    const asked = await mic.say(ask.wav.samples, ask.wav.sampleRate);
    const speaking = await rec.waitFor('state', (e) => e.agent === 'speaking', 20_000, asked.endAt);
    // Interrupt inside the second chunk: well after "Sure.", well before the end.
    await sleep(2_200);
    const cut = await mic.say(stop.wav.samples, stop.wav.sampleRate, [stop.onsetSample]);
    const ended = await rec.waitFor('reply-end', (e) => e.interrupted, 10_000, speaking.at);

    // What the listener heard: the reply's frames, from its first to the stop (a paced player: exact durations).
    const firstFrame = rec.frames.find((f) => f.at >= speaking.at - 50)?.at as number;
    const playedMs = rec.msBetween(firstFrame, (cut.marksAt[0] as number) + 1_000);
    const chunks = local.session.tts.chunksOf(full);
    expect(chunks, 'chunk map of the reply').toBeDefined();
    const totalMs = ((chunks?.at(-1)?.endSec ?? 0) * 1000) | 0;
    expect(playedMs).toBeGreaterThan(1_000);
    expect(playedMs).toBeLessThan(totalMs - 1_000);

    // The stored text is the words up to the played duration: a strict prefix of the reply, shorter than it.
    const spoken = ended.text;
    expect(full.startsWith(spoken), `"${spoken}" is a prefix of the reply`).toBe(true);
    expect(spoken.length).toBeLessThan(full.length);
    expect(spoken).toBe(spokenText(chunks ?? [], playedMs / 1000));
    // Alignment error: where the stored text ends in the audio (by the chunk map) vs what was played.
    const endSec = textEndSec(chunks ?? [], spoken);
    const alignmentMs = Math.abs(endSec * 1000 - playedMs);
    console.warn(
      `spoken-only history: played ${playedMs.toFixed(0)} of ${totalMs} ms; stored "${spoken}" (ends at ${(endSec * 1000).toFixed(0)} ms of audio, error ${alignmentMs.toFixed(0)} ms)`,
    );
    // The stored text ends within one word of the played position (a word is ~250–450 ms of flite speech).
    expect(alignmentMs).toBeLessThan(500);

    // The brain's next request carries the spoken part only, marked interrupted.
    const before = t.peer.requests.length;
    await sleep(800);
    const asked2 = await mic.say(next.wav.samples, next.wav.sampleRate);
    await rec.waitFor('reply', () => true, 20_000, asked2.endAt);
    const request = t.peer.requests.slice(before).at(-1);
    const assistant = request?.messages.filter((m) => m.role === 'assistant').map((m) => m.content) ?? [];
    const prior = assistant.find((m) => m.includes('(interrupted)'));
    expect(prior, JSON.stringify(request?.messages)).toBeDefined();
    expect(prior).toContain(spoken);
    const unheard = full.slice(spoken.length).trim().split(/\s+/).slice(-4).join(' ');
    expect(JSON.stringify(request?.messages)).not.toContain(unheard);

    await mic.stop();
    await local.close();
    const rows = await storedTurns(t.stack.brain.config.databaseUrl, local.sessionId, 3);
    const stored = rows.filter((r) => r.role === 'assistant');
    expect(stored[0]?.text).toBe(spoken);
    expect(stored[0]?.interrupted).toBe(true);
  }, 90_000);
});

/** Where a prefix of the reply ends in its audio, by the same proportional rule the host uses. */
function textEndSec(chunks: { text: string; startSec: number; endSec: number }[], prefix: string): number {
  let left = prefix.trim().length;
  for (const c of chunks) {
    const len = c.text.trim().length;
    if (left >= len) {
      left -= len + 1;
      if (left <= 0) return c.endSec;
      continue;
    }
    const total = c.text
      .trim()
      .split(/\s+/)
      .reduce((n, w) => n + w.length + 1, 0);
    return c.startSec + ((left + 1) / total) * (c.endSec - c.startSec);
  }
  return chunks.at(-1)?.endSec ?? 0;
}
