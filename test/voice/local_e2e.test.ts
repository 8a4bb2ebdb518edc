// End to end in local mode with real audio and real engines: synthesised speech → Silero VAD → PocketSphinx →
// brain over NATS (memory responder, pgvector) → tts over NATS → real-time player; the reply is transcribed back.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warmPhrases } from '../../agent-host/session.js';
import { readWav, rmsDbfs } from '../../lib/audio/index.js';
import { functionRequests } from '../../lib/telemetry/metrics.js';
import { sleep } from '../../lib/util/abort.js';
import {
  Microphone,
  SessionRecorder,
  silence,
  speak,
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

describe('local mode, end to end', () => {
  it('remembers a name across turns: the second answer, transcribed back, contains "Alice"; turns are stored', async () => {
    const rec = new SessionRecorder();
    const userId = uniqueUser();
    const session = await stack.host.open({ userId, listener: rec.listener, output: { leadMs: 0 } });
    const first = fliteReference('my name is alice');
    const second = fliteReference('what is my name');

    await silence(session, 300);
    await speak(session, first.samples, first.sampleRate);
    await silence(session, 800);
    await rec.waitFor('reply-end');
    await rec.waitForSilence(400);

    const askedAt = Date.now();
    await speak(session, second.samples, second.sampleRate);
    await silence(session, 800);
    await rec.waitFor('reply-end', () => true, 20_000, askedAt);
    await rec.waitForSilence(400);

    const heard = await stack.checker.transcribe(rec.audioBetween(askedAt));
    expect(heard.toLowerCase(), rec.summary()).toContain('alice');

    const transcripts = rec
      .of('transcript')
      .filter((t) => t.final)
      .map((t) => t.text.toLowerCase());
    expect(transcripts.join(' | ')).toMatch(/name/);
    const turns = rec.of('turn');
    if (process.env.TEST_VERBOSE) console.warn(JSON.stringify(turns), rec.summary());
    expect(turns.length).toBeGreaterThanOrEqual(2);
    expect(turns.at(-1)?.stages.firstAudio).toBeGreaterThan(0);

    await session.close();
    const rows = (await stack.brain.servers.sessionWrite?.runtime)
      ? await storedTurns(stack.brain.config.databaseUrl, session.sessionId, 4)
      : [];
    expect(rows.filter((r) => r.role === 'user').length).toBe(2);
    expect(rows.filter((r) => r.role === 'assistant').length).toBe(2);
  }, 90_000);
});

describe('greeting', () => {
  it('greets on join ("Hello! I\'m ready to help."), and stores it as the first assistant turn', async () => {
    const rec = new SessionRecorder();
    const session = await stack.host.open({
      userId: uniqueUser(),
      listener: rec.listener,
      options: { greeting: "Hello! I'm ready to help." },
      output: { leadMs: 0 },
    });
    const mic = new Microphone(session);
    await rec.waitFor('reply-end', () => true, 20_000);
    await rec.waitForSilence(300);
    const heard = (await stack.checker.transcribe(rec.audioBetween(0))).toLowerCase();
    expect(heard).toMatch(/hello|ready|help/);
    await mic.stop();
    await session.close();
    const rows = await storedTurns(stack.brain.config.databaseUrl, session.sessionId, 1);
    expect(rows[0]).toMatchObject({ role: 'assistant' });
    expect(rows[0]?.text).toMatch(/ready to help/i);
  }, 60_000);
});

describe('phrase cache', () => {
  it('says the greeting from the pre-synthesised cache: it is heard and no tts request is made', async () => {
    await warmPhrases({ client: stack.client, log: stack.brain.log, phrases: stack.phrases });
    expect(stack.phrases.size).toBeGreaterThan(0);
    const ttsBefore = await requestsOf('tts');
    const rec = new SessionRecorder();
    const session = await stack.host.open({
      userId: uniqueUser(),
      listener: rec.listener,
      options: { greeting: "Hello! I'm ready to help." },
      output: { leadMs: 0 },
    });
    await rec.waitFor('reply-end', () => true, 20_000);
    await rec.waitForSilence(300);
    const heard = (await stack.checker.transcribe(rec.audioBetween(0))).toLowerCase();
    expect(heard).toMatch(/hello|ready|help/);
    expect(await requestsOf('tts')).toBe(ttsBefore);
    await session.close();
  }, 60_000);
});

async function requestsOf(fn: string): Promise<number> {
  const m = await functionRequests.get();
  return m.values.filter((v) => v.labels.function === fn).reduce((n, v) => n + v.value, 0);
}

describe('recording (RECORD_SESSIONS=1)', () => {
  it('stores both sides in one stereo WAV: the user on the left, the agent on the right, referenced in agents.recordings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arc-rec-'));
    const rec = new SessionRecorder();
    const session = await stack.host.open({
      userId: uniqueUser(),
      listener: rec.listener,
      options: { recordingDir: dir },
      output: { leadMs: 0 },
    });
    const mic = new Microphone(session);
    const started = Date.now();
    const q = fliteReference('my name is erin');
    await sleep(300);
    const { voicedEndAt: saidAt } = await mic.say(q.samples, q.sampleRate);
    await rec.waitFor('reply-end', () => true, 20_000);
    await rec.waitForSilence(300);
    const firstAgentAudio = (rec.frames[0]?.at ?? 0) - started;
    await mic.stop();
    await session.close();

    const wav = readWav(readFileSync(join(dir, `${session.sessionId}.wav`)));
    expect(wav.channels).toBe(2);
    expect(wav.sampleRate).toBe(16000);
    const left = wav.samples.filter((_, i) => i % 2 === 0);
    const right = wav.samples.filter((_, i) => i % 2 === 1);
    const at = (ms: number) => Math.round((ms / 1000) * 16000);
    const speechMid = saidAt - started - 400;
    // The user's voice is on the left while they speak, and nothing of theirs on the right.
    expect(rmsDbfs(left, at(speechMid - 200), at(speechMid + 200))).toBeGreaterThan(-40);
    expect(rmsDbfs(right, at(speechMid - 200), at(speechMid + 200))).toBeLessThan(-60);
    // The agent is on the right once it speaks.
    expect(rmsDbfs(right, at(firstAgentAudio + 100), at(firstAgentAudio + 600))).toBeGreaterThan(-40);
    expect(wav.samples.length / 2 / 16).toBeGreaterThan(firstAgentAudio);

    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: stack.brain.config.databaseUrl, max: 1 });
    try {
      let rows: { mime: string; uri: string }[] = [];
      for (let i = 0; i < 50 && rows.length === 0; i++) {
        rows = (await pool.query('SELECT mime, uri FROM agents.recordings WHERE session_id = $1', [session.sessionId]))
          .rows;
        if (rows.length === 0) await sleep(100);
      }
      expect(rows).toEqual([{ mime: 'audio/wav', uri: pathToFileURL(join(dir, `${session.sessionId}.wav`)).href }]);
    } finally {
      await pool.end();
    }
  }, 60_000);
});
