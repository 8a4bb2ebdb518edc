// Shared by the speech suites: fixed sentences, reference audio straight from the flite CLI, and checks that
// no engine process is left behind (running or zombie).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { liveChildren } from '../../../lib/audio/process.js';
import { readWav, type Wav } from '../../../lib/audio/wav.js';

/** The ten fixed sentences of the round trip (what a voice assistant hears). */
export const SENTENCES = [
  'please turn on the kitchen lights before dinner',
  'what is the weather like in london today',
  'set a timer for ten minutes',
  'i would like to book a table for two people',
  'the quick brown fox jumps over the lazy dog',
  'call my mother when you get home',
  'how many days are left until the end of the month',
  'play some music in the living room',
  'remind me to buy milk and bread tomorrow morning',
  'the meeting has been moved to thursday afternoon',
];

/** Speech from the flite CLI itself (not through our engine): the reference the engines are compared with. */
export function fliteReference(text: string, voice = 'kal16'): Wav {
  const file = join(tmpdir(), `arc-ref-${process.pid}-${Math.random().toString(36).slice(2)}.wav`);
  try {
    execFileSync('flite', ['-voice', voice, '-t', text, '-o', file]);
    return readWav(readFileSync(file));
  } finally {
    rmSync(file, { force: true });
  }
}

/** The same reference decoded by sox (raw s16le), independent of our WAV reader. */
export function fliteReferenceBySox(text: string, voice = 'kal16'): Int16Array {
  const file = join(tmpdir(), `arc-ref-${process.pid}-${Math.random().toString(36).slice(2)}.wav`);
  try {
    execFileSync('flite', ['-voice', voice, '-t', text, '-o', file]);
    const raw = execFileSync('sox', [file, '-t', 's16', '-']);
    return new Int16Array(Uint8Array.from(raw).buffer);
  } finally {
    rmSync(file, { force: true });
  }
}

export interface ChildInfo {
  pid: number;
  state: string;
  command: string;
}

/** Direct children of this test process, from ps (zombies included: ps shows them as state Z). */
export function childProcesses(): ChildInfo[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,stat=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are none
  }
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, state, command] = line.trim().split(/\s+/);
      return { pid: Number(pid), state: state ?? '', command: command ?? '' };
    })
    .filter((c) => c.command !== 'ps');
}

/** Engine children only (flite, espeak-ng, sh/cat/pocketsphinx); vitest's own are ignored. */
export function engineChildren(): ChildInfo[] {
  return childProcesses().filter((c) => /flite|espeak|pocketsphinx|^sh$|^cat$/.test(c.command));
}

/** Every engine process this module started has exited and been reaped: none running, none zombie. */
export async function expectNoEngineProcesses(): Promise<void> {
  const until = Date.now() + 3_000;
  while ((liveChildren().length > 0 || engineChildren().length > 0) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(liveChildren()).toEqual([]);
  expect(engineChildren()).toEqual([]);
  expect(childProcesses().filter((c) => c.state.startsWith('Z'))).toEqual([]);
}

/** Is this pid a running (not zombie) process? */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}
