// Interruption fuzz harness: several local-mode sessions in one process, each driven by an always-on simulated
// microphone, with user speech injected at randomised moments relative to the agent's state, over the real
// stack (NATS, PGlite, brain function with a test LLM peer, tts function, Silero, PocketSphinx). The brain's LLM
// and the tts function are wrapped by *delaying* wrappers (randomised tens of ms); nothing is replaced.
import { voice } from '@livekit/agents';
import { ttsSetup } from '../../functions/tts/handler.js';
import { rmsDbfs } from '../../lib/audio/index.js';
import type { Wav } from '../../lib/audio/wav.js';
import { createLlm } from '../../lib/engines/llm/index.js';
import type { LlmAdapter } from '../../lib/engines/llm/llm.js';
import { ttsContract } from '../../lib/protocol/index.js';
import { defineFunction } from '../../lib/runtime/define.js';
import { sleep } from '../../lib/util/abort.js';
import { type OpenAiPeer, startOpenAiPeer } from '../brain/helpers/openai-peer.js';
import { Microphone, SessionRecorder, startVoiceStack, uniqueUser, type VoiceStack } from '../helpers/voice-stack.js';
import { fliteReference } from '../speech/helpers/speech.js';

/** Seeded PRNG (mulberry32): a failing run is replayed with its printed seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Randomised delays added by the delaying wrappers (ms, uniform in [0, max]). */
export interface Delays {
  brainFirstMs: number;
  brainTokenMs: number;
  ttsFirstMs: number;
  ttsChunkMs: number;
}

export const DEFAULT_DELAYS: Delays = { brainFirstMs: 250, brainTokenMs: 30, ttsFirstMs: 120, ttsChunkMs: 25 };

/** A delaying wrapper around the brain's real LLM adapter: a random wait before the first token and between tokens. */
export function delayingLlm(inner: LlmAdapter, random: () => number, d: Delays): LlmAdapter {
  return {
    model: inner.model,
    async *generate(input) {
      await sleep(random() * d.brainFirstMs);
      for await (const token of inner.generate(input)) {
        yield token;
        await sleep(random() * d.brainTokenMs);
      }
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  };
}

/** A delaying wrapper around the real tts function: a random wait before the first audio and between chunks. */
export function delayingTts(random: () => number, d: Delays) {
  return defineFunction(ttsContract, async (ctx) => {
    const inner = await ttsSetup()(ctx);
    return {
      ...inner,
      async *handle(req, hctx) {
        await sleep(random() * d.ttsFirstMs);
        for await (const chunk of inner.handle(req, hctx)) {
          yield chunk;
          await sleep(random() * d.ttsChunkMs);
        }
      },
    };
  });
}

/** A short reply, streamed by the LLM test peer; the chunker cuts it in two: "Sure." and the rest. */
export const REPLY = ['Sure.', 'It is mild today,', 'and sunny tomorrow.'];

export interface TurnStack {
  stack: VoiceStack;
  peer: OpenAiPeer;
  stop(): Promise<void>;
}

export async function startTurnStack(
  seed: number,
  sessions: number,
  delays: Delays = DEFAULT_DELAYS,
  reply: readonly string[] = REPLY,
): Promise<TurnStack> {
  const tokens = reply.join(' ').split(/(?<= )/);
  const peer = await startOpenAiPeer({ kind: 'reply', tokens, gapMs: 5 });
  const random = rng(seed ^ 0x5eed);
  const stack = await startVoiceStack({
    defaults: { greeting: null },
    env: { LLM_ENDPOINT: `${peer.url}/v1`, LLM_MODEL: 'test-peer' },
    llm: async (config, log) => delayingLlm(await createLlm(config, log), random, delays),
    tts: delayingTts(random, delays),
    // One warm decoder per concurrent session (a shared pool of 3 would queue recognitions, not test turns).
    speech: {
      poolSize: Math.max(3, sessions),
      // FUZZ_LEVEL_END=0: Silero alone ends speech (no LevelEndVAD), to tell the two apart when a turn is lost.
      ...(process.env.FUZZ_LEVEL_END === '0' ? { endSilenceMs: undefined } : {}),
    },
  });
  return {
    stack,
    peer,
    async stop() {
      await stack.stop();
      await peer.close();
    },
  };
}

/** A synthesised utterance and the sample at which its voice starts (the onset the stop time counts from). */
export interface Clip {
  text: string;
  wav: Wav;
  onsetSample: number;
}

export function clip(text: string, voiceName = 'kal16'): Clip {
  const wav = fliteReference(text, voiceName);
  const win = Math.round(wav.sampleRate / 100);
  let onsetSample = 0;
  for (let i = 0; i + win <= wav.samples.length; i += win) {
    if (rmsDbfs(wav.samples, i, i + win) > -40) {
      onsetSample = i;
      break;
    }
  }
  // Trimmed to the voice (the microphone sends silence around it anyway), so a cycle takes less time.
  const start = Math.max(0, onsetSample - win * 4);
  let end = wav.samples.length;
  while (end - win > start && rmsDbfs(wav.samples, end - win, end) <= -40) end -= win;
  const samples = wav.samples.slice(start, Math.min(wav.samples.length, end + win * 4));
  return { text, wav: { ...wav, samples }, onsetSample: onsetSample - start };
}

export type Moment = 'before-first-delta' | 'between-chunks' | 'last-chunk' | 'after-playback' | 'double';
export const MOMENTS: Moment[] = ['before-first-delta', 'between-chunks', 'last-chunk', 'after-playback', 'double'];

export interface Interruption {
  session: number;
  moment: Moment;
  /** Where the agent really was at the onset (classified afterwards). */
  observed: string;
  /** Agent audio released after the user's voice onset, before it stopped (ms of audio). */
  stopMs: number;
  /** The agent was audible at the onset (the stop time counts for the P95). */
  talking: boolean;
  /** A reply created before the onset was not done within 2 s of the end of the user's speech. */
  hung: boolean;
  /** The user's turn was not committed and answered (a reply created for it) within the deadline. */
  swallowed: boolean;
  detail?: string;
}

interface Handle {
  handle: voice.SpeechHandle;
  createdAt: number;
  doneAt?: number;
}

/** One session's fuzz run: `count` interruptions, then a last question that must be answered out loud. */
export async function fuzzSession(
  t: TurnStack,
  index: number,
  count: number,
  seed: number,
  clips: Clip[],
  results: Interruption[],
): Promise<{ leaks: string[]; reconciled: number[] }> {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
  const rec = new SessionRecorder();
  const local = await t.stack.host.open({ userId: uniqueUser(), listener: rec.listener, output: { leadMs: 0 } });
  const vs = local.session;
  const handles: Handle[] = [];
  vs.agentSession.on(voice.AgentSessionEventTypes.SpeechCreated, (ev) => {
    const h: Handle = { handle: ev.speechHandle, createdAt: Date.now() };
    handles.push(h);
    ev.speechHandle.addDoneCallback(() => {
      h.doneAt = Date.now();
    });
  });
  const userItems: { at: number; text: string }[] = [];
  vs.agentSession.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
    const item = ev.item as { role?: string; textContent?: string };
    if (item.role === 'user') userItems.push({ at: Date.now(), text: item.textContent ?? '' });
  });
  const mic = new Microphone(local);
  const leaks: string[] = [];
  const reconciled: number[] = [];
  vs.on('reconciled', (r) => reconciled.push(r.errorMs));
  const say = (c: Clip) => mic.say(c.wav.samples, c.wav.sampleRate, [c.onsetSample]);

  /** The reply now being produced: its first delta time and text, from the events (newest request). */
  const currentReply = (since: number, until = Number.POSITIVE_INFINITY) => {
    const deltas = rec.of('reply').filter((e) => e.at >= since && e.at <= until);
    const last = deltas.at(-1);
    if (!last) return undefined;
    const mine = deltas.filter((e) => e.requestId === last.requestId);
    return { firstAt: mine[0]?.at ?? last.at, text: mine.map((e) => e.delta).join('') };
  };
  /** Wall time of the first agent frame at or after `since`. */
  const firstFrameAfter = (since: number) => rec.frames.find((f) => f.at >= since)?.at;
  const waitUntil = async (cond: () => boolean, ms: number) => {
    const until = Date.now() + ms;
    while (!cond() && Date.now() < until) await sleep(5);
    return cond();
  };

  // The first question; every later utterance both interrupts the reply before it and asks the next question.
  let prevEnd = (await say(pick(clips))).endAt;
  for (let i = 0; i < count; i++) {
    const moment = pick(MOMENTS);
    const c = pick(clips);
    let speakAt: number | undefined; // wall time the onset should land at
    if (moment === 'before-first-delta') {
      // As soon as the turn is committed (the agent starts thinking) and before the brain's first delta.
      await waitUntil(() => rec.of('state').some((e) => e.at >= prevEnd && e.agent === 'thinking'), 4_000);
    } else if (moment === 'after-playback') {
      await waitUntil(() => rec.of('reply-end').some((e) => e.at >= prevEnd), 8_000);
      speakAt = Date.now() + random() * 250;
    } else {
      // Mid-reply moments: aim at the reply's chunk map (text and audio extent of each chunk).
      await waitUntil(() => firstFrameAfter(prevEnd) !== undefined, 6_000);
      const start = firstFrameAfter(prevEnd);
      const reply = currentReply(prevEnd);
      // The map grows as the chunks' audio is put out: wait for the last chunk to have started.
      const map = () => vs.tts.chunksOf(currentReply(prevEnd)?.text ?? '');
      const covered = () => (map() ?? []).reduce((n, x) => n + x.text.length + 1, 0) > FULL_REPLY.length;
      await waitUntil(() => covered() && (map()?.at(-1)?.endSec ?? 0) > (map()?.at(-1)?.startSec ?? 0), 3_000);
      const chunks = reply ? map() : undefined;
      if (start !== undefined && chunks && chunks.length > 1) {
        const boundaries = chunks.slice(0, -1).map((x) => x.endSec);
        const last = chunks.at(-1) as { startSec: number; endSec: number };
        const at =
          moment === 'between-chunks'
            ? pick(boundaries) + (random() - 0.5) * 0.06
            : moment === 'last-chunk'
              ? last.startSec + random() * (last.endSec - last.startSec) * 0.8
              : random() * last.endSec * 0.7; // double: anywhere in the reply
        // Aim by audio played, not wall time: tts underruns (the delaying wrapper) stretch the reply.
        const leadMs = (c.onsetSample / c.wav.sampleRate) * 1000;
        await waitUntil(() => rec.msBetween(start) >= at * 1000 - leadMs, 8_000);
      }
    }
    const leadIn = (c.onsetSample / c.wav.sampleRate) * 1000;
    if (speakAt !== undefined) {
      const wait = speakAt - leadIn - Date.now();
      if (wait > 0) await sleep(wait);
    }
    // The chunk map of the reply being interrupted, taken now (a later reply with the same text gets its own).
    const mapAtOnset = vs.tts.chunksOf(currentReply(prevEnd)?.text ?? '')?.map((x) => ({ ...x }));
    const onsetGuess = Date.now() + leadIn;
    const before = handles.filter((h) => h.createdAt <= onsetGuess);
    const saying = say(c);
    let second: Promise<{ endAt: number; marksAt: number[] }> | undefined;
    if (moment === 'double') {
      const first = await saying;
      await sleep(120 + random() * 250);
      second = say(pick(clips));
      void first;
    }
    const said = await saying;
    const onset = said.marksAt[0] as number;
    const last = second ? await second : said;
    const endAt = last.endAt;
    const lastOnset = last.marksAt[0] as number;

    // Classify where the agent was at the onset: before the brain's first delta, in the reply (between chunks,
    // in the last chunk, inside another chunk), after its playback ended, or waiting for its first audio.
    const reply = currentReply(prevEnd, onset);
    const audibleAt = rec.frames.some((f) => f.at >= onset - 40 && f.at <= onset);
    let observed: string;
    if (!reply || reply.firstAt > onset) observed = 'before-first-delta';
    else if (audibleAt) {
      const start = firstFrameAfter(prevEnd);
      observed = position(mapAtOnset, start === undefined ? undefined : rec.msBetween(start, onset));
    } else if (rec.frames.some((f) => f.at >= prevEnd && f.at < onset)) observed = 'after-playback';
    else observed = 'before-first-audio';

    // Stop time: the run of agent frames released after the onset, until the first gap (the player is paced).
    let stopMs = 0;
    let lastAt = onset;
    for (const f of rec.frames) {
      if (f.at < onset) continue;
      if (f.at - lastAt > 60) break;
      stopMs += (f.frame.samplesPerChannel / f.frame.sampleRate) * 1000;
      lastAt = f.at;
    }

    // The user's (last) utterance is committed and answered: a user item and a reply created after its onset.
    const committed = () => userItems.find((u) => u.at >= lastOnset && u.text.trim() !== '');
    const answered = await waitUntil(
      () => committed() !== undefined && handles.some((h) => h.createdAt >= lastOnset),
      ANSWER_DEADLINE_MS,
    );
    // Every reply created before the onset is played or released within 2 s of the moment the session knew it
    // was interrupted: the user's turn committed (a recogniser slowed by machine load only moves that moment).
    const hangDeadline = (committed()?.at ?? endAt) + 2_000;
    await waitUntil(() => before.every((h) => h.doneAt !== undefined) || Date.now() > hangDeadline, 2_100);
    const hungHandles = before.filter((h) => (h.doneAt ?? Number.POSITIVE_INFINITY) > hangDeadline);
    const result: Interruption = {
      session: index,
      moment,
      observed,
      stopMs,
      talking: audibleAt,
      hung: hungHandles.length > 0,
      swallowed: !answered,
    };
    if (result.hung || result.swallowed) {
      const rel = (x: number | undefined) => (x === undefined ? '-' : String(x - onset));
      result.detail = [
        `session ${index} #${i} ${moment}/${observed}: said "${c.text}" (ms from onset: speech end ${rel(endAt)}, last onset ${rel(lastOnset)})`,
        `  user items: ${userItems
          .filter((u) => u.at >= onset - 5_000)
          .map((u) => `${rel(u.at)} "${u.text}"`)
          .join(', ')}`,
        `  handles: ${handles
          .filter((h) => h.createdAt >= onset - 5_000)
          .map(
            (h) =>
              `${h.handle.id} created ${rel(h.createdAt)} done ${rel(h.doneAt)}${h.handle.interrupted ? ' interrupted' : ''}`,
          )
          .join('; ')}`,
        `  hung: ${hungHandles.map((h) => h.handle.id).join(', ')}`,
        `  transcripts: ${rec
          .of('transcript')
          .filter((e) => e.at >= onset - 500)
          .map((e) => `${rel(e.at)}${e.final ? ' final' : ''} "${e.text}"`)
          .join(', ')}`,
      ].join('\n');
    }
    results.push(result);
    prevEnd = endAt;
  }

  // The last turn is always heard and answered out loud, to the end.
  await rec.waitForSilence(300, 20_000);
  const finalAsk = await say(pick(clips));
  await rec.waitFor('reply-end', (e) => !e.interrupted, 15_000, finalAsk.endAt);
  await waitUntil(() => vs.pendingSpeech === 0, 3_000);
  if (vs.pendingSpeech !== 0) leaks.push(`session ${index}: ${vs.pendingSpeech} speech handles still pending`);
  if (vs.llm.activeRequests !== 0) leaks.push(`session ${index}: ${vs.llm.activeRequests} brain requests open`);
  await mic.stop();
  await local.close();
  const open = handles.filter((h) => !h.handle.done());
  if (open.length) leaks.push(`session ${index}: ${open.length} speech handles not done after close`);
  return { leaks, reconciled };
}

const FULL_REPLY = REPLY.join(' ');
/** How long a turn may take to be committed and get its reply started (generous: the box is shared). */
const ANSWER_DEADLINE_MS = 8_000;

/** Where in the reply `playedMs` of its audio falls: at a chunk boundary (±60 ms), in the last chunk, or inside another. */
function position(chunks: { startSec: number; endSec: number }[] | undefined, playedMs: number | undefined): string {
  if (!chunks || chunks.length === 0 || playedMs === undefined) return 'mid-reply';
  const at = playedMs / 1000;
  if (chunks.slice(0, -1).some((c) => Math.abs(c.endSec - at) <= 0.06)) return 'between-chunks';
  const last = chunks.at(-1) as { startSec: number };
  return at >= last.startSec ? 'last-chunk' : 'mid-chunk';
}

/** A hum like "mhm": two voiced, nasal-sounding tones (no words), synthesised at 16 kHz. */
export function hum(rate = 16000): Int16Array {
  const parts: [number, number, number][] = [
    [0.18, 115, 0.5],
    [0.07, 0, 0],
    [0.26, 140, 0.55],
  ];
  const out = new Int16Array(Math.round(parts.reduce((n, p) => n + p[0], 0) * rate));
  let at = 0;
  for (const [sec, f0, amp] of parts) {
    const n = Math.round(sec * rate);
    for (let i = 0; i < n; i++) {
      const t = i / rate;
      const env = Math.min(1, i / (0.02 * rate), (n - i) / (0.03 * rate));
      let v = 0;
      for (let h = 1; h <= 6; h++) v += Math.sin(2 * Math.PI * f0 * (1 + 0.15 * (t / sec)) * h * t) / h ** 1.5;
      out[at + i] = Math.round(v * amp * env * 12_000);
    }
    at += n;
  }
  return out;
}

/** Recorded-style noise bursts at 16 kHz: a cough (sharp attack, breathy decay) and a door (low thump, rattle). */
export function noiseBurst(kind: 'cough' | 'door', random: () => number, rate = 16000): Int16Array {
  const sec = kind === 'cough' ? 0.32 : 0.45;
  const out = new Int16Array(Math.round(sec * rate));
  let lp = 0;
  let lp2 = 0;
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    const w = random() * 2 - 1;
    let v: number;
    if (kind === 'cough') {
      lp = lp * 0.6 + w * 0.4; // breathy band
      const env = Math.min(1, t / 0.005) * Math.exp(-t * 9) + 0.5 * Math.exp(-(((t - 0.15) / 0.03) ** 2));
      v = lp * env * 0.9;
    } else {
      lp2 = lp2 * 0.985 + w * 0.015; // low thump
      const thump = lp2 * 14 * Math.exp(-t * 18) + Math.sin(2 * Math.PI * 70 * t) * 0.5 * Math.exp(-t * 12);
      const rattle = t > 0.08 ? w * 0.12 * Math.exp(-(t - 0.08) * 10) : 0;
      v = thump + rattle;
    }
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v * 16_000)));
  }
  return out;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

/** Live resources a leak would leave: NATS subscriptions on the stack's connection, timers of the process. */
export function resources(t: TurnStack): { subs: number; timers: number } {
  const nc = t.stack.brain.link.connection as unknown as { protocol?: { subscriptions?: { size(): number } } };
  return {
    subs: nc?.protocol?.subscriptions?.size() ?? -1,
    timers: process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length,
  };
}

/** Waits (up to `ms`) for a condition, polling. */
export async function settle(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await sleep(50);
  return cond();
}
