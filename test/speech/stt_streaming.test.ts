// PocketSphinx streaming: decoders pre-started in a pool, one taken per utterance and fed as audio arrives;
// utterances cut by a VAD (Silero), by flush(), or by the decoder's own endpointer. No process left behind.
import { execFileSync } from 'node:child_process';
import { initializeLogger, stt } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFrames } from '../../lib/audio/frames.js';
import { concatPcm } from '../../lib/audio/pcm.js';
import { liveChildren } from '../../lib/audio/process.js';
import { resample } from '../../lib/audio/resample.js';
import { PocketSphinxSTT } from '../../lib/engines/stt/pocketsphinx/stt.js';
import { wordErrorRate } from '../../lib/text/wer.js';
import { expectNoEngineProcesses, fliteReferenceBySox, isRunning } from './helpers/speech.js';

const SAID = [
  'please turn on the kitchen lights before dinner',
  'set a timer for ten minutes',
  'call my mother when you get home',
];
const second = (n: number) => new Int16Array(16000 * n);
let speech: Int16Array[];

beforeAll(() => {
  initializeLogger({ pretty: false, level: 'warn' });
  speech = SAID.map((s) => fliteReferenceBySox(s, 'kal16'));
});

type Ev = { type: string; text: string; id?: string };

function collector(stream: stt.SpeechStream) {
  const events: Ev[] = [];
  const waiters: { type: string; resolve: () => void }[] = [];
  const done = (async () => {
    for await (const ev of stream) {
      const e = {
        type: stt.SpeechEventType[ev.type] as string,
        text: ev.alternatives?.[0]?.text ?? '',
        id: ev.requestId,
      };
      events.push(e);
      for (const w of waiters.filter((w) => w.type === e.type)) w.resolve();
    }
  })();
  const next = (type: string) => new Promise<void>((resolve) => waiters.push({ type, resolve }));
  return { events, done, next };
}

function push(stream: stt.SpeechStream, samples: Int16Array, rate = 16000): void {
  for (const f of toFrames(samples, rate)) stream.pushFrame(new AudioFrame(f, rate, 1, f.length));
}

describe.each(['native', 'process'] as const)('PocketSphinx streaming, %s back end', (backend) => {
  let engine: PocketSphinxSTT;
  let vadEngine: PocketSphinxSTT;
  // Each process decoder is sh + cat + pocketsphinx_continuous; liveChildren() counts the sh.
  const processes = (n: number) => (backend === 'process' ? n : 0);
  beforeAll(async () => {
    engine = await PocketSphinxSTT.create({ poolSize: 2, backend });
    const vad = await silero.VAD.load({ minSilenceDuration: 300 });
    vadEngine = await PocketSphinxSTT.create({ poolSize: 1, backend, vad });
  });
  afterAll(async () => {
    await engine?.close();
    await vadEngine?.close();
    await expectNoEngineProcesses();
  });

  it('keeps decoders loaded before any audio arrives', () => {
    expect(engine.backend).toBe(backend);
    expect(engine.capabilities.interimResults).toBe(backend === 'native');
    expect(engine.pool.idle).toBe(2);
    expect(vadEngine.pool.idle).toBe(1);
    expect(liveChildren()).toHaveLength(processes(3));
  });

  it('with a VAD: START, (INTERIM…), FINAL, END per utterance, in order, with the words said', async () => {
    const stream = vadEngine.stream();
    const c = collector(stream);
    push(stream, concatPcm([second(0.5), ...speech.flatMap((s) => [s, second(1)])]));
    for (let i = 0; i < SAID.length; i++) await c.next('END_OF_SPEECH');
    stream.endInput();
    await c.done;
    const types = c.events.map((e) => e.type).filter((t) => t !== 'RECOGNITION_USAGE' && t !== 'INTERIM_TRANSCRIPT');
    expect(types).toEqual(SAID.flatMap(() => ['START_OF_SPEECH', 'FINAL_TRANSCRIPT', 'END_OF_SPEECH']));
    const ends = c.events.filter((e) => e.type === 'END_OF_SPEECH').map((e) => e.text);
    expect(wordErrorRate(SAID.map((ref, i) => ({ ref, hyp: ends[i] ?? '' }))).wer).toBeLessThan(0.2);
    expect(c.events.filter((e) => e.type === 'RECOGNITION_USAGE')).toHaveLength(3);
    const interims = c.events.filter((e) => e.type === 'INTERIM_TRANSCRIPT');
    if (backend === 'native') {
      // Interims come between START and FINAL of their utterance and grow into it.
      expect(interims.length).toBeGreaterThanOrEqual(SAID.length);
      const firstFinal = c.events.findIndex((e) => e.type === 'FINAL_TRANSCRIPT');
      const firstInterim = c.events.findIndex((e) => e.type === 'INTERIM_TRANSCRIPT');
      expect(firstInterim).toBeGreaterThan(c.events.findIndex((e) => e.type === 'START_OF_SPEECH'));
      expect(firstInterim).toBeLessThan(firstFinal);
    } else {
      expect(interims).toEqual([]);
    }
  });

  it('flush() ends the utterance at once: its final comes before any later audio is pushed', async () => {
    const stream = engine.stream();
    const c = collector(stream);
    push(stream, concatPcm([second(0.3), speech[1] as Int16Array]));
    const final = c.next('FINAL_TRANSCRIPT');
    stream.flush();
    await final;
    expect(c.events.map((e) => e.type).filter((t) => t !== 'INTERIM_TRANSCRIPT')).toEqual(['FINAL_TRANSCRIPT']);
    push(stream, concatPcm([second(0.3), speech[2] as Int16Array, second(0.3)]));
    stream.flush();
    await c.next('RECOGNITION_USAGE');
    stream.endInput();
    await c.done;
    const finals = c.events.filter((e) => e.type === 'FINAL_TRANSCRIPT').map((e) => e.text);
    expect(wordErrorRate([{ ref: `${SAID[1]} ${SAID[2]}`, hyp: finals.join(' ') }]).wer).toBeLessThan(0.2);
  });

  it('without a VAD the decoder’s own endpointer cuts segments at pauses (48 kHz input resampled)', async () => {
    const stream = engine.stream();
    const c = collector(stream);
    const audio = concatPcm([second(0.5), speech[0] as Int16Array, second(1), speech[2] as Int16Array, second(1)]);
    push(stream, resample(audio, 16000, 48000), 48000);
    stream.endInput();
    await c.done;
    const finals = c.events.filter((e) => e.type === 'FINAL_TRANSCRIPT').map((e) => e.text);
    expect(finals).toHaveLength(2);
    expect(wordErrorRate([{ ref: `${SAID[0]} ${SAID[2]}`, hyp: finals.join(' ') }]).wer).toBeLessThan(0.2);
  });

  it('a decoder is reused (native) or replaced (process) after each utterance; the pool stays full', async () => {
    await until(() => engine.pool.idle === 2);
    const stream = engine.stream();
    const c = collector(stream);
    for (let i = 0; i < 3; i++) {
      push(stream, concatPcm([second(0.2), speech[1] as Int16Array]));
      const final = c.next('RECOGNITION_USAGE');
      stream.flush();
      await final;
    }
    stream.endInput();
    await c.done;
    const ids = new Set(c.events.filter((e) => e.type === 'RECOGNITION_USAGE').map((e) => e.id));
    expect(ids.size).toBe(backend === 'native' ? 1 : 3);
    await until(() => engine.pool.idle === 2);
    expect(engine.pool.idle).toBe(2);
  });

  it.runIf(backend === 'process')('close() mid-utterance kills its decoder and the processes under it', async () => {
    // Let earlier tests' decoders finish exiting and the pools refill, so every live process is a waiting one.
    await until(() => engine.pool.idle === 2 && vadEngine.pool.idle === 1 && liveChildren().length === 3);
    const waiting = liveChildren();
    const tree = new Map(waiting.map((pid) => [pid, grandchildren(pid)]));
    const stream = engine.stream();
    const c = collector(stream);
    push(stream, concatPcm([second(0.3), speech[0] as Int16Array]));
    await until(() => liveChildren().length === waiting.length + 1); // one taken, its replacement started
    stream.close();
    await c.done;
    await until(() => waiting.filter(isRunning).length === waiting.length - 1);
    const killed = waiting.filter((pid) => !isRunning(pid));
    expect(killed).toHaveLength(1);
    const under = tree.get(killed[0] as number) ?? [];
    expect(under).toHaveLength(2); // cat and pocketsphinx_continuous
    await until(() => under.every((pid) => !isRunning(pid)), 2_000); // killed with the group; reaped by init
    for (const pid of under) expect(isRunning(pid)).toBe(false);
  });

  it.runIf(backend === 'native')(
    'close() mid-utterance returns the decoder to the pool, ready for the next',
    async () => {
      await until(() => engine.pool.idle === 2);
      const stream = engine.stream();
      const c = collector(stream);
      push(stream, concatPcm([second(0.3), speech[0] as Int16Array]));
      await c.next('INTERIM_TRANSCRIPT');
      expect(engine.pool.idle).toBe(1);
      stream.close();
      await c.done;
      await until(() => engine.pool.idle === 2);
      expect(engine.pool.idle).toBe(2);
      expect(await engine.transcribe(concatPcm([second(0.3), speech[1] as Int16Array, second(0.3)]))).toMatch(
        /timer for ten minutes/,
      );
    },
  );
});

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

function grandchildren(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
