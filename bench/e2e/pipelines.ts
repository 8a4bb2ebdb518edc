// The pipelines bench/e2e compares, behind one shape: push microphone audio in, observe what the session did
// (commits, transcripts, brain and tts first results, agent frames) with wall-clock times.
import { initializeLogger, type VAD, voice } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import type { AudioFrame } from '@livekit/rtc-node';
import { LocalSessionHost } from '../../agent-host/local/local-host.js';
import { PhraseCache } from '../../agent-host/plugins/phrases.js';
import type { CallTiming, VoiceSessionOptions } from '../../agent-host/session.js';
import { FAST_SPEECH, loadSpeech, type Speech } from '../../agent-host/speech.js';
import type { Reconciliation } from '../../agent-host/turns.js';
import { DEFAULT_SILENCE_DBFS, rmsDbfs } from '../../lib/audio/index.js';
import type { FunctionClient } from '../../lib/bus/client.js';
import type { Config } from '../../lib/config/index.js';
import type { Logger } from '../../lib/log.js';
import type { AgentEvent } from '../../lib/protocol/index.js';
import { openBaselineSession } from './baseline.js';

/** performance.now() → wall-clock ms. */
const PERF_TO_WALL = Date.now() - performance.now();
export const wall = (perf: number) => perf + PERF_TO_WALL;

export const AGENT_RATE = 22050;

/** What one pipeline did, all in wall-clock ms. */
export class Observations {
  readonly commits: number[] = [];
  readonly finals: number[] = [];
  /** Committed user turns' text, by commit time (to explain a cut-off). */
  readonly committed: { at: number; text: string }[] = [];
  readonly brainFirst: { at: number; timing?: CallTiming }[] = [];
  readonly ttsFirst: { at: number; timing?: CallTiming }[] = [];
  readonly frames: { at: number; audible: boolean; ms: number }[] = [];
  readonly turns: Extract<AgentEvent, { type: 'turn' }>[] = [];
  /** The host's own reconciliation of each turn (stages + gaps vs its input-measured speech end), ours only. */
  readonly reconciled: { at: number; r: Reconciliation }[] = [];

  frame(frame: AudioFrame): void {
    this.frames.push({
      at: Date.now(),
      audible: rmsDbfs(frame.data) > DEFAULT_SILENCE_DBFS,
      ms: (frame.samplesPerChannel / frame.sampleRate) * 1000,
    });
  }

  watch(session: voice.AgentSession): void {
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      if ('role' in ev.item && ev.item.role === 'user') {
        this.commits.push(ev.createdAt);
        this.committed.push({ at: ev.createdAt, text: ev.item.textContent ?? '' });
      }
    });
    session.on(voice.AgentSessionEventTypes.UserInputTranscribed, (ev) => {
      if (ev.isFinal) this.finals.push(ev.createdAt);
    });
  }
}

export interface Pipeline {
  name: string;
  obs: Observations;
  pushPcm(pcm: Int16Array, rate: number): void;
  close(): Promise<void>;
}

export interface PipelineDeps {
  config: Config;
  log: Logger;
  client: FunctionClient;
}

/** Ours: the product's defaults (transcript turn detector, 200 ms silence, preflight + preemptive replies…). */
export async function openOurs(
  deps: PipelineDeps,
  speech: Speech,
  name = 'ours',
  overrides: Partial<VoiceSessionOptions> = {},
): Promise<Pipeline> {
  const phrases = new PhraseCache();
  const host = new LocalSessionHost({ client: deps.client, log: deps.log, vad: speech.vad, stt: speech.stt, phrases });
  const obs = new Observations();
  const local = await host.open({
    userId: `bench-${name}`,
    listener: { audio: (f) => obs.frame(f), clear: () => {}, event: (e) => e.type === 'turn' && obs.turns.push(e) },
    options: { greeting: null, sampleRate: AGENT_RATE, ...overrides },
    output: { leadMs: 0 },
  });
  obs.watch(local.session.agentSession);
  local.session.on('reconciled', (r) => obs.reconciled.push({ at: Date.now(), r }));
  local.session.on('timing', (t) =>
    (t.fn === 'brain' ? obs.brainFirst : obs.ttsFirst).push({ at: wall(t.firstAt), timing: t }),
  );
  return { name, obs, pushPcm: (pcm, rate) => local.pushPcm(pcm, rate), close: () => local.close() };
}

/** agents-js defaults on the same engines (see baseline.ts). */
export async function openBaseline(deps: PipelineDeps, vad: VAD): Promise<Pipeline> {
  const obs = new Observations();
  const s = await openBaselineSession({
    client: deps.client,
    log: deps.log,
    vad,
    sampleRate: AGENT_RATE,
    userId: 'bench-baseline',
    sink: { frame: (f) => obs.frame(f), clear: () => {} },
    onBrainFirstDelta: (at) => obs.brainFirst.push({ at: wall(at) }),
    onTtsFirstAudio: (at) => obs.ttsFirst.push({ at: wall(at) }),
  });
  obs.watch(s.session);
  return {
    name: 'agents-js defaults',
    obs,
    pushPcm: (pcm, rate) => s.input.pushPcm(pcm, rate),
    close: () => s.close(),
  };
}

export async function loadBenchSpeech(config: Config): Promise<{ fast: Speech; defaultVad: VAD }> {
  initializeLogger({ pretty: false, level: (process.env.BENCH_AGENTS_LOG as 'debug') ?? 'error' });
  const fast = await loadSpeech(config, FAST_SPEECH, { engine: 'pocketsphinx' });
  const defaultVad = await silero.VAD.load();
  return { fast, defaultVad };
}
