// TTS part of bench/speech: first-chunk latency, first audible sound and real-time factor per engine,
// streaming (our engines) vs buffered (the engine's CLI writing the whole reply to one WAV first).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ttsFunction, { ttsSetup } from '../functions/tts/handler.js';
import { firstAudibleSample } from '../lib/audio/level.js';
import { pcmFromBytes } from '../lib/audio/pcm.js';
import { FunctionClient } from '../lib/bus/client.js';
import { NatsLink } from '../lib/bus/nats-link.js';
import { loadConfig } from '../lib/config/index.js';
import { createTtsEngine, type TtsEngine, type TtsEngineName } from '../lib/engines/tts/index.js';
import { createLogger } from '../lib/log.js';
import { HDR_SAMPLE_RATE } from '../lib/protocol/index.js';
import { defineFunction } from '../lib/runtime/define.js';
import { startFunctionServer } from '../lib/runtime/server.js';
import { formatTable, ms, percentiles } from './stats.js';

const run = promisify(execFile);

/** A typical assistant reply: a short first clause, then two longer sentences. */
export const REPLY =
  'Sure. I can help with that; the forecast for tomorrow shows light rain in the morning. ' +
  'It should clear up by the afternoon, with a high of eighteen degrees.';

interface Sample {
  firstChunk: number;
  firstAudible: number;
  total: number;
  audioSeconds: number;
}

async function measure(engine: TtsEngine, voice: string, trim: boolean): Promise<Sample> {
  const rate = engine.sampleRateOf(voice);
  const t0 = performance.now();
  let firstChunk = 0;
  let firstAudible = 0;
  let samples = 0;
  for await (const c of engine.synthesize(REPLY, { voice, trimLeadingSilence: trim })) {
    const now = performance.now() - t0;
    if (!firstChunk) firstChunk = now;
    if (!firstAudible) {
      // Playback starts with the first chunk; sound is heard once the silence before it has played.
      const at = firstAudibleSample(c.samples, rate);
      if (at >= 0) firstAudible = firstChunk + ((samples + at) / rate) * 1000;
    }
    samples += c.samples.length;
  }
  return { firstChunk, firstAudible, total: performance.now() - t0, audioSeconds: samples / rate };
}

/** The buffered way: the engine's CLI renders the whole reply to a WAV, and only then can anything play. */
async function buffered(engine: string, voice: string): Promise<number> {
  const file = join(tmpdir(), `arc-bench-${randomUUID()}.wav`);
  const t0 = performance.now();
  try {
    if (engine === 'flite') await run('flite', ['-voice', voice, '-t', REPLY, '-o', file]);
    else await run('espeak-ng', ['-v', voice, '-w', file, REPLY]);
    return performance.now() - t0;
  } finally {
    rmSync(file, { force: true });
  }
}

export async function benchTts(runs: number): Promise<string> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const setups: { name: TtsEngineName; voice?: string }[] = [
    { name: 'flite', voice: 'slt' },
    { name: 'flite', voice: 'kal16' },
    { name: 'espeak-ng' },
    ...(config.models.piper ? [{ name: 'piper' as const }] : []),
  ];
  const rows: string[][] = [];
  for (const s of setups) {
    const engine = await createTtsEngine(config, { engine: s.name });
    await engine.warm();
    const voice = s.voice ?? engine.defaultVoice;
    const trimmed: Sample[] = [];
    const raw: Sample[] = [];
    const buf: number[] = [];
    for (let i = 0; i < runs; i++) {
      trimmed.push(await measure(engine, voice, true));
      raw.push(await measure(engine, voice, false));
      if (s.name !== 'piper') buf.push(await buffered(s.name, voice));
    }
    await engine.close();
    const p = (xs: number[]) => percentiles(xs);
    const first = p(trimmed.map((x) => x.firstChunk));
    const audible = p(trimmed.map((x) => x.firstAudible));
    const audibleRaw = p(raw.map((x) => x.firstAudible));
    const total = p(trimmed.map((x) => x.total));
    const audio = trimmed[0]?.audioSeconds ?? 0;
    const bufferedFirst = s.name === 'piper' ? total : p(buf);
    rows.push([
      `${s.name} ${voice}`,
      `${ms(first.p50, 1)} / ${ms(first.p95, 1)}`,
      `${ms(audible.p50, 1)} (${ms(audibleRaw.p50, 1)})`,
      `${ms(bufferedFirst.p50, 1)} / ${ms(bufferedFirst.p95, 1)}`,
      (total.p50 / 1000 / audio).toFixed(3),
      audio.toFixed(2),
    ]);
  }
  rows.push(await benchTtsOverNats(config, runs));
  return formatTable(
    [
      'TTS engine, voice',
      'streaming first chunk P50 / P95 ms',
      'first audible P50 ms, trimmed (untrimmed)',
      'buffered first audio P50 / P95 ms',
      'RTF',
      'audio s',
    ],
    rows,
  );
}

/** The same through the tts function over NATS (a replica in this process, FunctionClient as the host uses it). */
async function benchTtsOverNats(config: ReturnType<typeof loadConfig>, runs: number): Promise<string[]> {
  const log = createLogger('bench', 'silent');
  const contract = { ...ttsFunction.contract, subject: `bench.${randomUUID().slice(0, 8)}.tts` };
  let server: Awaited<ReturnType<typeof startFunctionServer>> | undefined;
  const link = new NatsLink({ servers: config.natsUrl, name: 'bench-speech', log });
  try {
    server = await startFunctionServer(defineFunction(contract, ttsSetup({ engine: 'flite' })), {
      config,
      log,
      port: 0,
    });
    await link.ready();
    const client = new FunctionClient({ log, nats: link, contracts: { tts: contract } });
    const firsts: number[] = [];
    for (let i = 0; i < runs * 2; i++) {
      const t0 = performance.now();
      const stream = client.stream('tts', { requestId: randomUUID(), text: REPLY });
      let first = 0;
      for await (const chunk of stream) {
        if (!first) first = performance.now() - t0;
        pcmFromBytes(chunk);
      }
      if (Number(stream.headers[HDR_SAMPLE_RATE]) !== 16000) throw new Error('unexpected rate');
      firsts.push(first);
    }
    const p = percentiles(firsts);
    return ['flite slt via tts.request (NATS)', `${ms(p.p50, 1)} / ${ms(p.p95, 1)}`, '-', '-', '-', '-'];
  } catch (err) {
    return ['flite slt via tts.request (NATS)', `skipped: ${(err as Error).message}`, '-', '-', '-', '-'];
  } finally {
    await server?.stop(1_000);
    await link.close();
  }
}
