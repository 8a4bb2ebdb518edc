// The whole voice pipeline in one test process: the four functions over the real NATS server (on subjects
// unique to this stack), an embedded PGlite + pgvector database, Silero VAD, PocketSphinx, and a local
// session host. Agent audio comes out of a real-time player; microphone audio goes in at real-time pace.
import { randomUUID } from 'node:crypto';
import { initializeLogger, type VAD } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { type LocalSession, LocalSessionHost, type OpenLocalSession } from '../../agent-host/local/local-host.js';
import { PhraseCache } from '../../agent-host/plugins/phrases.js';
import type { VoiceSessionOptions } from '../../agent-host/session.js';
import { FAST_SPEECH, loadSpeech, type SpeechProfile } from '../../agent-host/speech.js';
import ttsDefinition from '../../functions/tts/handler.js';
import { FrameChunker, resample } from '../../lib/audio/index.js';
import { FunctionClient } from '../../lib/bus/client.js';
import { PocketSphinxSTT } from '../../lib/engines/stt/index.js';
import type { AgentEvent } from '../../lib/protocol/index.js';
import { ttsContract } from '../../lib/protocol/index.js';
import type { FunctionDefinition } from '../../lib/runtime/define.js';
import { type FunctionServer, startFunctionServer } from '../../lib/runtime/server.js';
import { sleep } from '../../lib/util/abort.js';
import { testDatabase } from '../brain/helpers/db.js';
import { type BrainStack, type StackOptions, startBrainStack, testContracts } from '../brain/helpers/stack.js';
import { step } from './step.js';

export interface VoiceStack {
  brain: BrainStack;
  tts: FunctionServer;
  /** Stops the tts replica and starts a fresh one (for fault tests that stop it). */
  restartTts(): Promise<void>;
  client: FunctionClient;
  host: LocalSessionHost;
  /** The host's phrase cache (empty until a test warms it). */
  phrases: PhraseCache;
  vad: VAD;
  /** A recogniser for checking what the agent said (separate from the session's). */
  checker: PocketSphinxSTT;
  stop(): Promise<void>;
}

export async function startVoiceStack(
  options: {
    defaults?: Partial<VoiceSessionOptions>;
    llm?: StackOptions['llm'];
    /** Environment for the functions (e.g. LLM_ENDPOINT of a test peer). */
    env?: Record<string, string>;
    /** A tts function definition other than the real one's default (e.g. wrapped to record requests). */
    tts?: FunctionDefinition;
    /** Speech front-end overrides (e.g. one warm decoder per concurrent session in the turn fuzz). */
    speech?: Partial<SpeechProfile>;
  } = {},
): Promise<VoiceStack> {
  initializeLogger({ pretty: false, level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'error' });
  const db = await step('database', 60_000, testDatabase());
  const brain = await step(
    'brain, embed and session-write',
    60_000,
    startBrainStack({
      databaseUrl: db.url,
      sessionWrite: true,
      brain: true,
      llm: options.llm,
      env: options.env,
    }),
  );
  const contracts = { ...testContracts(brain.prefix), tts: { ...ttsContract, subject: `${brain.prefix}.tts` } };
  const client = new FunctionClient({ log: brain.log, nats: brain.link, contracts }) as unknown as FunctionClient;
  const startTts = () =>
    startFunctionServer(
      { ...(options.tts ?? ttsDefinition), contract: contracts.tts },
      { config: brain.config, log: brain.log, port: false, nats: brain.link, client },
    );
  const {
    vad,
    stt,
    close: closeSpeech,
  } = await step(
    'speech (Silero, PocketSphinx)',
    60_000,
    loadSpeech(brain.config, { ...FAST_SPEECH, ...options.speech }, { engine: 'pocketsphinx' }),
  );
  const checker = await step('checking recogniser', 30_000, PocketSphinxSTT.create({ poolSize: 1 }));
  const phrases = new PhraseCache();
  const host = new LocalSessionHost(
    { client, log: brain.log, vad, stt, phrases },
    { persist: true, ...options.defaults },
  );
  const stack: VoiceStack = {
    brain,
    tts: await step('tts', 30_000, startTts()),
    async restartTts() {
      await stack.tts.stop(1_000);
      stack.tts = await startTts();
    },
    client,
    host,
    phrases,
    vad,
    checker,
    async stop() {
      await host.closeAll();
      await stack.tts.stop(1_000);
      await brain.stop();
      await db.dispose();
      await closeSpeech();
      await (checker as { close?: () => Promise<void> }).close?.();
    },
  };
  return stack;
}

/** Everything a local session sent back, kept in order, with wall-clock times. */
export class SessionRecorder {
  readonly events: AgentEvent[] = [];
  /** Agent frames in release order, each with its wall-clock release time. */
  readonly frames: { frame: AudioFrame; at: number }[] = [];
  clears = 0;

  readonly listener: OpenLocalSession['listener'] = {
    audio: (frame) => this.frames.push({ frame, at: Date.now() }),
    clear: () => {
      this.clears++;
    },
    event: (e) => this.events.push(e),
  };

  of<T extends AgentEvent['type']>(type: T): Extract<AgentEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<AgentEvent, { type: T }> => e.type === type);
  }

  /** Agent audio released in [from, to) as 16 kHz mono samples (for transcription). */
  audioBetween(from: number, to = Number.POSITIVE_INFINITY): Int16Array {
    const parts = this.frames.filter((f) => f.at >= from && f.at < to).map((f) => toRate(f.frame, 16000));
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Milliseconds of agent audio released in [from, to). */
  msBetween(from: number, to = Number.POSITIVE_INFINITY): number {
    return this.frames
      .filter((f) => f.at >= from && f.at < to)
      .reduce((ms, f) => ms + (f.frame.samplesPerChannel / f.frame.sampleRate) * 1000, 0);
  }

  /** Resolves when an event matching `pred` has arrived (scans past events too). */
  async waitFor<T extends AgentEvent['type']>(
    type: T,
    pred: (e: Extract<AgentEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 20_000,
    after = 0,
  ): Promise<Extract<AgentEvent, { type: T }>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.of(type).find((e) => e.at >= after && pred(e));
      if (hit) return hit;
      if (Date.now() > until) throw new Error(`no ${type} event within ${timeoutMs} ms; got: ${this.summary()}`);
      await sleep(20);
    }
  }

  /** Waits until no agent audio has been released for `quietMs`. */
  async waitForSilence(quietMs = 600, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const last = this.frames.at(-1)?.at ?? 0;
      if (Date.now() - last >= quietMs) return;
      await sleep(50);
    }
    throw new Error('agent never went quiet');
  }

  summary(): string {
    return this.events
      .filter((e) => e.type !== 'reply' && e.type !== 'state')
      .map((e) => JSON.stringify(e).slice(0, 160))
      .join('\n');
  }
}

function toRate(frame: AudioFrame, rate: number): Int16Array {
  const samples = new Int16Array(frame.data.buffer, frame.data.byteOffset, frame.samplesPerChannel);
  return frame.sampleRate === rate ? samples : resample(samples, frame.sampleRate, rate);
}

/** Feeds mono PCM into a session in 20 ms frames at real-time pace; resolves with the wall time of the last frame. */
export async function speak(
  session: LocalSession,
  samples: Int16Array,
  sampleRate: number,
  signal?: AbortSignal,
): Promise<number> {
  const chunker = new FrameChunker(sampleRate, 20);
  const frames = chunker.push(samples);
  const last = chunker.flush(true);
  if (last) frames.push(last);
  const t0 = performance.now();
  let sentAt = Date.now();
  for (let i = 0; i < frames.length; i++) {
    if (signal?.aborted) break;
    const due = t0 + i * 20;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    session.pushPcm(frames[i] as Int16Array, sampleRate);
    sentAt = Date.now();
  }
  return sentAt;
}

/** Feeds silence for `ms` at real-time pace (the microphone stays open between utterances). */
export function silence(session: LocalSession, ms: number, sampleRate = 16000, signal?: AbortSignal): Promise<number> {
  return speak(session, new Int16Array(Math.round((sampleRate * ms) / 1000)), sampleRate, signal);
}

export { Microphone } from './microphone.js';

export function uniqueUser(): string {
  return `user-${randomUUID().slice(0, 8)}`;
}

/** The session's rows in agents.conversations, in order, once there are `atLeast` (or after ~5 s, what there is). */
export async function storedTurns(databaseUrl: string | undefined, sessionId: string, atLeast: number) {
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const q = () =>
      pool.query<{ role: string; text: string; interrupted: boolean }>(
        'SELECT role, text, interrupted FROM agents.conversations WHERE session_id = $1 ORDER BY created_at',
        [sessionId],
      );
    for (let i = 0; i < 50; i++) {
      const r = await q();
      if (r.rows.length >= atLeast) return r.rows;
      await new Promise((res) => setTimeout(res, 100));
    }
    return (await q()).rows;
  } finally {
    await pool.end();
  }
}
