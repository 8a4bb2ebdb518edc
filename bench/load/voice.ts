// Simulated conversations: fixed utterances (flite kal16 WAVs) fed in real time through local-mode sessions, as a
// browser's always-on microphone would, each turn waiting for the whole reply before the next one.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AudioFrame } from '@livekit/rtc-node';
import type { LocalSessionHost } from '../../agent-host/local/local-host.js';
import { DEFAULT_SILENCE_DBFS, readWav, resample, rmsDbfs } from '../../lib/audio/index.js';
import type { AgentEvent, TurnStages } from '../../lib/protocol/index.js';
import { sleep } from '../../lib/util/abort.js';
import { Microphone } from '../../test/helpers/microphone.js';

export interface Utterance {
  text: string;
  /** 16 kHz mono PCM. */
  samples: Int16Array;
}

/** Synthesises the bench's utterances once (the same WAVs every run). */
export function utterances(texts: string[]): Utterance[] {
  return texts.map((text) => {
    const file = join(tmpdir(), `arc-load-${process.pid}-${randomUUID().slice(0, 8)}.wav`);
    try {
      execFileSync('flite', ['-voice', 'kal16', '-t', text, '-o', file]);
      const wav = readWav(readFileSync(file));
      const samples = wav.sampleRate === 16000 ? wav.samples : resample(wav.samples, wav.sampleRate, 16000);
      return { text, samples };
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
  const mic = new Microphone(session);
  const results: TurnResult[] = [];
  try {
    await sleep(300 + offset);
    for (let i = 0; i < turns && Date.now() < until; i++) {
      const u = said[(offset + i) % said.length] as Utterance;
      const { voicedEndAt } = await mic.say(u.samples, 16000);
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
