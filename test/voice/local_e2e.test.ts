// End to end in local mode with real audio and real engines: synthesised speech → Silero VAD → PocketSphinx →
// brain over NATS (memory responder, pgvector) → tts over NATS → real-time player; the reply is transcribed back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const { rows } = (await stack.brain.servers.sessionWrite?.runtime)
      ? await queryTurns(session.sessionId)
      : { rows: [] };
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
    const { rows } = await queryTurns(session.sessionId, 1);
    expect(rows[0]).toMatchObject({ role: 'assistant' });
    expect(rows[0]?.text).toMatch(/ready to help/i);
  }, 60_000);
});

async function queryTurns(sessionId: string, atLeast = 4): Promise<{ rows: { role: string; text: string }[] }> {
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({ connectionString: stack.brain.config.databaseUrl, max: 1 });
  try {
    for (let i = 0; i < 50; i++) {
      const r = await pool.query(
        'SELECT role, text FROM agents.conversations WHERE session_id = $1 ORDER BY created_at',
        [sessionId],
      );
      if (r.rows.length >= atLeast) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
    return await pool.query('SELECT role, text FROM agents.conversations WHERE session_id = $1 ORDER BY created_at', [
      sessionId,
    ]);
  } finally {
    await pool.end();
  }
}
