// Faults around a live conversation: a dead tts function, a dead brain, bad frames. The session never dies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Microphone,
  SessionRecorder,
  startVoiceStack,
  storedTurns,
  uniqueUser,
  type VoiceStack,
} from '../helpers/voice-stack.js';
import { fliteReference } from '../speech/helpers/speech.js';

let stack: VoiceStack;

beforeAll(async () => {
  stack = await startVoiceStack({ defaults: { greeting: null } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('faults', () => {
  it('bad frames are refused with a typed error and the session keeps working', async () => {
    const rec = new SessionRecorder();
    const session = await stack.host.open({ userId: uniqueUser(), listener: rec.listener, output: { leadMs: 0 } });
    expect(() => session.pushPcm(new Int16Array(160), 11025)).toThrow(/sample rate 11025/);
    expect(() => session.pushPcm(new Int16Array(5_000_000), 16000)).toThrow(/longer than/);
    const mic = new Microphone(session);
    const q = fliteReference('my name is carol');
    await mic.say(q.samples, q.sampleRate);
    await rec.waitFor('reply-end', () => true, 20_000);
    await mic.stop();
    await session.close();
  }, 60_000);

  it('tts down: the reply is still shown and stored as text, and the session stays up', async () => {
    await stack.tts.stop(500);
    try {
      const rec = new SessionRecorder();
      const session = await stack.host.open({ userId: uniqueUser(), listener: rec.listener, output: { leadMs: 0 } });
      const mic = new Microphone(session);
      for (const text of ['my name is dave', 'what is my name']) {
        const since = Date.now();
        const q = fliteReference(text);
        await mic.say(q.samples, q.sampleRate);
        await rec.waitFor('error', (e) => e.message.startsWith('tts'), 20_000, since);
        await rec.waitFor('reply-end', () => true, 20_000, since);
      }
      expect(rec.frames.length).toBe(0); // nothing could be spoken
      expect(rec.of('reply').length).toBeGreaterThan(0); // but the text streamed to the client
      await mic.stop();
      await session.close();
      const rows = await storedTurns(stack.brain.config.databaseUrl, session.sessionId, 4);
      const replies = rows.filter((r) => r.role === 'assistant').map((r) => r.text.toLowerCase());
      expect(replies).toHaveLength(2);
      expect(replies[1]).toContain('dave');
    } finally {
      await stack.restartTts();
    }
  }, 90_000);

  it('brain down: the agent says a short apology, stays in the conversation, and the user turn is stored', async () => {
    await stack.brain.servers.brain?.stop(500);
    const rec = new SessionRecorder();
    const session = await stack.host.open({ userId: uniqueUser(), listener: rec.listener, output: { leadMs: 0 } });
    const mic = new Microphone(session);
    const q = fliteReference('what is the weather like');
    const since = Date.now();
    await mic.say(q.samples, q.sampleRate);
    await rec.waitFor('reply-end', () => true, 20_000, since);
    await rec.waitForSilence(400);
    const heard = await stack.checker.transcribe(rec.audioBetween(since));
    expect(heard.toLowerCase(), heard).toMatch(/sorry|answer|moment/);
    expect(rec.of('error').some((e) => e.code === 'unavailable')).toBe(true);

    // Still in the conversation: the next turn is heard and answered (with the apology again).
    const since2 = Date.now();
    await mic.say(q.samples, q.sampleRate);
    await rec.waitFor('reply-end', () => true, 20_000, since2);
    await mic.stop();
    await session.close();
    const rows = await storedTurns(stack.brain.config.databaseUrl, session.sessionId, 4);
    expect(rows.filter((r) => r.role === 'user').length).toBe(2);
  }, 90_000);
});
