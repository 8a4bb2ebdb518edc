// Fixture utterances for bench/e2e: questions, and sentences with a pause in the middle (where cutting the turn
// would be wrong). Synthesised with flite kal16 (16 kHz; PocketSphinx hears it well), cached under .tmp/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstAudibleSample, lastAudibleSample, readWav } from '../../lib/audio/index.js';

export const QUESTIONS = [
  'what is my name',
  'tell me a story',
  'what time is it now',
  'how is the weather today',
  'can you help me please',
  'where do i live',
  'what is my favourite food',
  'say something nice',
];

/** The first part reads unfinished; the user pauses, then finishes. A reply before part two is a false cut-off. */
export const PAUSED: [string, string][] = [
  ['i would like to book a table for', 'two people tonight'],
  ['my phone number is five five five', 'one two three four'],
  ['remind me to call', 'my mother tomorrow'],
  ['can you tell me about', 'black holes'],
  ['please add milk and', 'bread to my list'],
  ['the meeting is on', 'thursday afternoon'],
  ['i want to go to the', 'cinema tonight'],
  ['what is the', 'capital of france'],
];

/**
 * Silence inserted between the two parts. The second part keeps the voice's own lead-in (flite opens most
 * utterances with up to ~300 ms of near-silence), so the pause the listener hears, last voiced frame to the next,
 * is longer: `voicedGapMs` reports it (505–800 ms with kal16), a hard but ordinary mid-sentence pause.
 */
export const PAUSE_MS = 500;
export const RATE = 16000;

export interface Fixture {
  id: string;
  text: string;
  samples: Int16Array;
  /** Paused fixtures: sample offset where the second part's voice starts (its first audible sample). */
  resumeAt?: number;
  /** Paused fixtures: last voiced sample of part one → first voiced sample of part two, in ms. */
  voicedGapMs?: number;
}

const CACHE = join(process.cwd(), '.tmp', 'bench-e2e');

function synth(text: string): Int16Array {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, `${text.replace(/[^a-z0-9]+/g, '_')}.wav`);
  if (!existsSync(file)) execFileSync('flite', ['-voice', 'kal16', '-t', text, '-o', file]);
  const wav = readWav(readFileSync(file));
  if (wav.sampleRate !== RATE) throw new Error(`${file}: ${wav.sampleRate} Hz, expected ${RATE}`);
  return wav.samples;
}

function trimEnd(samples: Int16Array): Int16Array {
  return samples.subarray(0, lastAudibleSample(samples, RATE));
}

/** Said once per pipeline before measuring (not counted). */
export function warmUpFixture(): Fixture {
  return { id: 'warm-up', text: 'hello there', samples: synth('hello there') };
}

export function questionFixtures(): Fixture[] {
  return QUESTIONS.map((text, i) => ({ id: `q${i + 1}`, text, samples: synth(text) }));
}

export function pausedFixtures(): Fixture[] {
  return PAUSED.map(([a, b], i) => {
    const first = trimEnd(synth(a));
    const second = synth(b);
    const gap = new Int16Array((RATE * PAUSE_MS) / 1000);
    const samples = new Int16Array(first.length + gap.length + second.length);
    samples.set(first, 0);
    samples.set(gap, first.length);
    samples.set(second, first.length + gap.length);
    const onset = firstAudibleSample(second, RATE);
    return {
      id: `p${i + 1}`,
      text: `${a} … ${b}`,
      samples,
      resumeAt: first.length + gap.length + onset,
      voicedGapMs: Math.round(((gap.length + onset) / RATE) * 1000),
    };
  });
}
