// STT part of bench/speech: latency from end of speech to the final transcript, real-time factor and word
// error rate, for the streaming recogniser (warm decoder fed as audio arrives) vs batch recognition (the
// whole utterance at end of speech, on a warm decoder or a freshly started one as agents' StreamAdapter did).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeLogger, stt } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { AudioFrame } from '@livekit/rtc-node';
import { FrameChunker } from '../lib/audio/frames.js';
import { readWav } from '../lib/audio/wav.js';
import { SphinxDecoder } from '../lib/engines/stt/pocketsphinx/decoder.js';
import type { UtteranceDecoder } from '../lib/engines/stt/pocketsphinx/options.js';
import { PocketSphinxSTT } from '../lib/engines/stt/pocketsphinx/stt.js';
import { wordErrorRate } from '../lib/text/wer.js';
import { formatTable, ms, percentiles } from './stats.js';

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

const RATE = 16000;
const LEAD = new Int16Array(RATE * 0.3);
const TRAIL = new Int16Array(RATE * 0.8);

function speech(text: string): Int16Array {
  const file = join(tmpdir(), `arc-bench-${process.pid}.wav`);
  execFileSync('flite', ['-voice', 'kal16', '-t', text, '-o', file]);
  const samples = readWav(readFileSync(file)).samples;
  rmSync(file, { force: true });
  return samples;
}

interface Result {
  latency: number[];
  decodeSeconds: number;
  audioSeconds: number;
  pairs: { ref: string; hyp: string }[];
}

const empty = (): Result => ({ latency: [], decodeSeconds: 0, audioSeconds: 0, pairs: [] });
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

/**
 * Feeds lead silence + speech + trailing silence in real time (20 ms frames). `onSpeechEnd` runs right after
 * the last frame of speech; resolves with the time of that moment.
 */
async function feedRealtime(samples: Int16Array, push: (f: Int16Array) => void, onSpeechEnd?: () => void) {
  const frames = new FrameChunker(RATE).push(Int16Array.from([...LEAD, ...samples, ...TRAIL]));
  const speechEndFrame = Math.ceil((LEAD.length + samples.length) / 320);
  const t0 = performance.now();
  let speechEnd = 0;
  for (let i = 0; i < frames.length; i++) {
    await sleepUntil(t0 + i * 20);
    push(frames[i] as Int16Array);
    if (i + 1 === speechEndFrame) {
      speechEnd = performance.now();
      onSpeechEnd?.();
    }
  }
  return speechEnd;
}

async function streaming(engine: PocketSphinxSTT, audio: Int16Array[], flushAtEnd: boolean): Promise<Result> {
  const r = empty();
  for (const [i, samples] of audio.entries()) {
    const s = engine.stream();
    let final = 0;
    const texts: string[] = [];
    const done = (async () => {
      for await (const ev of s) {
        if (ev.type === stt.SpeechEventType.FINAL_TRANSCRIPT) {
          final = performance.now();
          texts.push(ev.alternatives?.[0]?.text ?? '');
        }
      }
    })();
    const push = (f: Int16Array) => s.pushFrame(new AudioFrame(f, RATE, 1, f.length));
    const speechEnd = await feedRealtime(samples, push, flushAtEnd ? () => s.flush() : undefined);
    s.endInput();
    await done;
    r.latency.push(final - speechEnd);
    r.audioSeconds += samples.length / RATE;
    r.pairs.push({ ref: SENTENCES[i] as string, hyp: texts.join(' ') });
  }
  return r;
}

async function batch(
  audio: Int16Array[],
  decoderFor: () => Promise<UtteranceDecoder>,
  release: (d: UtteranceDecoder) => void = () => {},
): Promise<Result> {
  const r = empty();
  for (const [i, samples] of audio.entries()) {
    const utterance = Int16Array.from([...LEAD, ...samples, ...TRAIL.subarray(0, 4800)]);
    const t0 = performance.now();
    const decoder = await decoderFor();
    decoder.write(utterance);
    const text = await decoder.finish();
    release(decoder);
    const dt = performance.now() - t0;
    r.latency.push(dt);
    r.decodeSeconds += dt / 1000;
    r.audioSeconds += utterance.length / RATE;
    r.pairs.push({ ref: SENTENCES[i] as string, hyp: text });
  }
  return r;
}

export async function benchStt(): Promise<string> {
  initializeLogger({ pretty: false, level: 'warn' });
  const audio = SENTENCES.map(speech);
  const rows: string[][] = [];
  const row = (name: string, r: Result, rtf: boolean) => {
    const p = percentiles(r.latency);
    const { wer } = wordErrorRate(r.pairs);
    rows.push([
      name,
      `${ms(p.p50, 0)} / ${ms(p.p95, 0)}`,
      rtf ? (r.decodeSeconds / r.audioSeconds).toFixed(3) : '-',
      `${(wer * 100).toFixed(1)} %`,
    ]);
  };

  for (const backend of ['native', 'process'] as const) {
    const engine = await PocketSphinxSTT.create({ poolSize: 2, backend });
    row(`${backend}: streaming, flush at speech end`, await streaming(engine, audio, true), false);
    row(
      `${backend}: batch at speech end, warm decoder`,
      await batch(
        audio,
        () => engine.pool.take(),
        (d) => engine.release(d),
      ),
      true,
    );
    await engine.close();
  }

  const accurate = await PocketSphinxSTT.create({ poolSize: 1, backend: 'native', secondPass: true });
  row('native: streaming, flush at speech end, second pass', await streaming(accurate, audio, true), false);
  await accurate.close();

  const start = async () => {
    const d = await SphinxDecoder.start();
    await d.ready;
    return d;
  };
  row('process started at speech end, batch (the old path)', await batch(audio, start), true);

  const vad = await silero.VAD.load({ minSilenceDuration: 300 });
  const withVad = await PocketSphinxSTT.create({ poolSize: 2, vad });
  row('native: streaming, Silero VAD cuts (min silence 300 ms)', await streaming(withVad, audio, false), false);
  await withVad.close();

  return formatTable(['PocketSphinx mode', 'end of speech → final P50 / P95 ms', 'RTF', 'WER'], rows);
}
