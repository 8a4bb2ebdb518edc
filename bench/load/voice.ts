// Simulated conversations: fixed utterances (flite kal16 WAVs) fed in real time through local-mode sessions, as a
// browser's always-on microphone would, each turn waiting for the whole reply before the next one.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AudioFrame } from '@livekit/rtc-node';
import type { LocalSessionHost } from '../../agent-host/local/local-host.js';
import {
  DEFAULT_SILENCE_DBFS,
  FrameChunker,
  lastAudibleSample,
  readWav,
  resample,
  rmsDbfs,
} from '../../lib/audio/index.js';
import type { AgentEvent, TurnStages } from '../../lib/protocol/index.js';
import { sleep } from '../../lib/util/abort.js';

export interface Utterance {
  text: string;
  /** 16 kHz mono PCM. */
  samples: Int16Array;
  /** Index of the last audible sample: what "speech end" is measured from. */
  voicedEnd: number;
}

/** Synthesises the bench's utterances once (the same WAVs every run). */
export function utterances(texts: string[]): Utterance[] {
  return texts.map((text) => {
    const file = join(tmpdir(), `arc-load-${process.pid}-${randomUUID().slice(0, 8)}.wav`);
    try {
      execFileSync('flite', ['-voice', 'kal16', '-t', text, '-o', file]);
      const wav = readWav(readFileSync(file));
      const samples = wav.sampleRate === 16000 ? wav.samples : resample(wav.samples, wav.sampleRate, 16000);
      return { text, samples, voicedEnd: lastAudibleSample(samples, 16000) };
    } finally {
      rmSync(file, { force: true });
    }
  });
}

/** One turn as the user experienced it. */
export interface TurnResult {
  /** First audible agent frame − last voiced microphone frame (DESIGN "How latency is measured"), ms. */
  e2eMs?: number;
  /** The host's stage times (relative to the VAD's end of speech). */
  stages?: TurnStages;
  failed?: string;
}

/**
 * One user: opens a session, says utterances with the microphone always on (silence in between), waiting for each
 * reply to finish playing, until `turns` are done or no new turn can start before `until` (wall-clock ms).
 */
export async function converse(
  host: LocalSessionHost,
  said: Utterance[],
  options: { turns?: number; until?: number; offset: number },
): Promise<TurnResult[]> {
  const { offset } = options;
  const turns = options.turns ?? Number.POSITIVE_INFINITY;
  const until = options.until ?? Number.POSITIVE_INFINITY;
  const events: AgentEvent[] = [];
  const audible: number[] = [];
  let lastFrameAt = 0;
  const session = await host.open({
    userId: `load-${randomUUID().slice(0, 8)}`,
    listener: {
      audio(frame: AudioFrame) {
        lastFrameAt = Date.now();
        const pcm = new Int16Array(frame.data.buffer, frame.data.byteOffset, frame.samplesPerChannel);
        if (rmsDbfs(pcm) > DEFAULT_SILENCE_DBFS) audible.push(lastFrameAt);
      },
      clear() {},
      event: (e) => events.push(e),
    },
    options: { greeting: null },
  });
  const mic = new Mic((pcm) => session.pushPcm(pcm, 16000));
  const results: TurnResult[] = [];
  try {
    await sleep(300 + offset);
    for (let i = 0; i < turns && Date.now() < until; i++) {
      const u = said[(offset + i) % said.length] as Utterance;
      const voicedEndAt = await mic.say(u);
      const result = await waitForReply(events, audible, () => lastFrameAt, voicedEndAt);
      results.push(result);
      await sleep(400);
    }
  } finally {
    await mic.stop();
    await session.close('bench done');
  }
  return results;
}

async function waitForReply(
  events: AgentEvent[],
  audible: number[],
  lastFrameAt: () => number,
  voicedEndAt: number,
): Promise<TurnResult> {
  const until = Date.now() + 20_000;
  let replyEnd = false;
  while (Date.now() < until) {
    replyEnd ||= events.some((e) => e.type === 'reply-end' && e.at >= voicedEndAt);
    // The whole reply has played: its end is known and no agent audio for 400 ms.
    if (replyEnd && Date.now() - lastFrameAt() > 400) break;
    await sleep(50);
  }
  const first = audible.find((t) => t >= voicedEndAt);
  const turn = events.find((e): e is Extract<AgentEvent, { type: 'turn' }> => e.type === 'turn' && e.at >= voicedEndAt);
  if (first === undefined)
    return { failed: replyEnd ? 'reply without audio' : 'no reply within 20 s', stages: turn?.stages };
  return { e2eMs: first - voicedEndAt, stages: turn?.stages };
}

/** An always-on microphone: 20 ms frames in real time, silence unless an utterance is queued. */
class Mic {
  private queue: {
    frames: Int16Array[];
    voicedFrame: number;
    sent: number;
    done: (voicedEndAt: number) => void;
    voicedAt: number;
  }[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(push: (pcm: Int16Array) => void) {
    const silent = new Int16Array(320);
    this.loop = (async () => {
      const t0 = performance.now();
      for (let i = 0; this.running; i++) {
        const wait = t0 + i * 20 - performance.now();
        if (wait > 1) await sleep(wait);
        const current = this.queue[0];
        try {
          push(current ? (current.frames[current.sent] as Int16Array) : silent);
        } catch {
          return; // session closed
        }
        if (!current) continue;
        if (current.sent === current.voicedFrame) current.voicedAt = Date.now();
        if (++current.sent === current.frames.length) {
          this.queue.shift();
          current.done(current.voicedAt);
        }
      }
    })();
  }

  /** Resolves with the wall time the frame holding the last voiced sample was pushed. */
  say(u: Utterance): Promise<number> {
    const chunker = new FrameChunker(16000, 20);
    const frames = chunker.push(u.samples);
    const last = chunker.flush(true);
    if (last) frames.push(last);
    return new Promise((done) =>
      this.queue.push({ frames, voicedFrame: Math.floor(u.voicedEnd / 320), sent: 0, done, voicedAt: 0 }),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
