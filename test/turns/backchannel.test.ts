// Backchannels and false interruptions (issue 11): "mhm", "okay", "yeah" and noise bursts (a cough, a door)
// over a speaking agent do not end its reply (it pauses at most, then resumes where it paused); a full sentence
// always does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBackchannel } from '../../agent-host/plugins/backchannel.js';
import { sleep } from '../../lib/util/abort.js';
import { Microphone, SessionRecorder, uniqueUser } from '../helpers/voice-stack.js';
import { clip, hum, noiseBurst, rng, startTurnStack, type TurnStack } from './harness.js';

const REPLY = [
  'Sure.',
  'The harbour opens at six in the morning, and the first boats leave soon after that,',
  'so if you want to see them go, you should be there early.',
];
const NONE = { brainFirstMs: 0, brainTokenMs: 0, ttsFirstMs: 0, ttsChunkMs: 0 };
const SESSIONS = 4;
const ROUNDS = Number(process.env.BACKCHANNEL_ROUNDS ?? 5);

let t: TurnStack;

beforeAll(async () => {
  t = await startTurnStack(2, SESSIONS, NONE, REPLY);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

interface Sound {
  name: string;
  samples: Int16Array;
  rate: number;
}

interface Trial {
  sound: string;
  kept: boolean;
  /** Reply audio released, vs its full length by the chunk map (resumed where it paused: nothing skipped). */
  playedMs: number;
  fullMs: number;
  paused: boolean;
  /** What the recogniser heard (final transcripts during the reply) and how many were held back. */
  heard: string[];
  held: number;
}

/** Asks a question, lets the reply play ~1.2 s, plays `sound` over it, and reports how the reply ended. */
async function trial(sound: Sound, random: () => number): Promise<Trial> {
  const rec = new SessionRecorder();
  const local = await t.stack.host.open({ userId: uniqueUser(), listener: rec.listener, output: { leadMs: 0 } });
  const mic = new Microphone(local);
  try {
    const ask = clip('tell me about the harbour');
    const asked = await mic.say(ask.wav.samples, ask.wav.sampleRate);
    const speaking = await rec.waitFor('state', (e) => e.agent === 'speaking', 20_000, asked.endAt);
    await sleep(900 + random() * 800);
    await mic.say(sound.samples, sound.rate);
    const ended = await rec.waitFor('reply-end', () => true, 25_000, speaking.at);
    const first = rec.frames.find((f) => f.at >= speaking.at - 50)?.at as number;
    const playedMs = rec.msBetween(first, ended.at + 1);
    const chunks = local.session.tts.chunksOf(REPLY.join(' '));
    const fullMs = (chunks?.at(-1)?.endSec ?? 0) * 1000;
    const paused = rec.frames.some((f, i) => {
      const next = rec.frames[i + 1];
      return f.at >= first && next !== undefined && next.at <= ended.at && next.at - f.at > 150;
    });
    const heard = rec
      .of('transcript')
      .filter((e) => e.final && e.at >= speaking.at)
      .map((e) => e.text);
    const held = local.session.backchannels;
    return { sound: sound.name, kept: !ended.interrupted, playedMs, fullMs, paused, heard, held };
  } finally {
    await mic.stop();
    await local.close();
  }
}

async function runAll(sounds: Sound[], rounds: number, seed: number): Promise<Trial[]> {
  const random = rng(seed);
  const queue = Array.from({ length: rounds }, () => sounds).flat();
  const trials: Trial[] = [];
  await Promise.all(
    Array.from({ length: SESSIONS }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) trials.push(await trial(s, random));
    }),
  );
  return trials;
}

describe('backchannels', () => {
  it('isBackchannel: acknowledgements (and a hum spelled as letters) yes; a request, an empty transcript no', () => {
    for (const ack of ['mhm', 'okay', 'yeah', 'uh huh', 'mm hmm', 'm m h m m', 'Okay.', 'yeah right']) {
      expect(isBackchannel(ack), ack).toBe(true);
    }
    for (const turn of ['', 'stop', 'okay stop talking', 'yeah but what about tomorrow', 'i see what you mean now']) {
      expect(isBackchannel(turn), turn).toBe(false);
    }
    // A short sound read as one word is an acknowledgement, unless the word takes the turn.
    expect(isBackchannel('whoa', undefined, 500)).toBe(true);
    expect(isBackchannel('whoa', undefined, 1_200)).toBe(false);
    expect(isBackchannel('stop', undefined, 400)).toBe(false);
    expect(isBackchannel('tell me more', undefined, 500)).toBe(false);
  });

  it(`"mhm", "okay", "yeah", a cough and a door over the agent: it keeps speaking (≥ 95 %), resuming where it paused`, async () => {
    const random = rng(7);
    const sounds: Sound[] = [
      { name: 'mhm (hum)', samples: hum(), rate: 16000 },
      ...['okay', 'yeah'].map((w) => {
        const c = clip(w);
        return { name: w, samples: c.wav.samples, rate: c.wav.sampleRate };
      }),
      { name: 'cough', samples: noiseBurst('cough', random), rate: 16000 },
      { name: 'door', samples: noiseBurst('door', random), rate: 16000 },
    ];
    const trials = await runAll(sounds, ROUNDS, 11);
    const kept = trials.filter((r) => r.kept);
    const rate = kept.length / trials.length;
    const skipped = kept.filter((r) => r.playedMs < r.fullMs - 60);
    const lines = sounds.map((s) => {
      const mine = trials.filter((r) => r.sound === s.name);
      const held = mine.reduce((n, r) => n + r.held, 0);
      return `${s.name}: kept ${mine.filter((r) => r.kept).length}/${mine.length}, paused ${mine.filter((r) => r.paused).length}, transcripts held ${held}`;
    });
    for (const r of trials.filter((x) => !x.kept))
      console.warn(`  stopped by ${r.sound}: heard ${JSON.stringify(r.heard)}`);
    console.warn(
      `backchannels: kept speaking in ${kept.length}/${trials.length} (${(rate * 100).toFixed(0)} %); ${lines.join('; ')}`,
    );
    expect(trials.length).toBe(sounds.length * ROUNDS);
    expect(rate).toBeGreaterThanOrEqual(0.95);
    // Resumed where it paused: every kept reply played all of its audio (nothing skipped, nothing twice).
    expect(skipped.map((r) => `${r.sound}: ${r.playedMs.toFixed(0)}/${r.fullMs.toFixed(0)} ms`)).toEqual([]);
    for (const r of kept) expect(r.playedMs).toBeLessThan(r.fullMs + 60);
  }, 300_000);

  it.skipIf(process.env.BACKCHANNEL_ONLY)(
    'a full-sentence interruption always stops it (100 %)',
    async () => {
      const c = clip('wait, tell me about the weather instead');
      const sentence: Sound = { name: 'sentence', samples: c.wav.samples, rate: c.wav.sampleRate };
      const trials = await runAll([sentence], ROUNDS * 2, 13);
      const stopped = trials.filter((r) => !r.kept);
      console.warn(`full-sentence interruptions: stopped ${stopped.length}/${trials.length}`);
      expect(stopped.length).toBe(trials.length);
    },
    300_000,
  );
});
