// Per-turn latency waterfall: stage times relative to the end of the user's speech, emitted once per turn.
import type { TurnStages } from '../lib/protocol/index.js';

export type Stage = Exclude<keyof TurnStages, 'endOfTurn' | 'sttFinal'>;

export interface TurnReport {
  turnId: string;
  /** Wall-clock ms of the end of the user's speech (t = 0 of the stages). */
  speechEnd: number;
  stages: TurnStages;
}

interface OpenTurn {
  id: string;
  speechEnd: number;
  stages: TurnStages;
}

/**
 * Collects stage timestamps. A turn opens when the turn detector commits (it knows when speech ended),
 * and closes at its first audible agent frame, or when the next turn opens (interrupted, failed). Marks
 * that arrive before the commit (preemptive generation) wait and are adopted if they are after speech end.
 */
export class TurnTracker {
  private open: OpenTurn | undefined;
  private early: Partial<Record<Stage, number>> = {};
  private count = 0;

  constructor(
    private readonly sessionId: string,
    private readonly emit: (report: TurnReport) => void,
  ) {}

  /** The turn detector committed a user turn. Times are wall-clock ms. */
  commit(speechEnd: number, committedAt: number, transcriptAt: number | undefined): string {
    this.close();
    const stages: TurnStages = { endOfTurn: committedAt - speechEnd };
    if (transcriptAt !== undefined) stages.sttFinal = transcriptAt - speechEnd;
    for (const [stage, at] of Object.entries(this.early) as [Stage, number][]) {
      if (at >= speechEnd) stages[stage] = at - speechEnd;
    }
    this.early = {};
    this.open = { id: `${this.sessionId}-t${++this.count}`, speechEnd, stages };
    return this.open.id;
  }

  /** A stage happened now (or at `at`); only its first occurrence per turn counts. */
  mark(stage: Stage, at = Date.now()): void {
    if (!this.open) {
      this.early[stage] ??= at;
      return;
    }
    this.open.stages[stage] ??= at - this.open.speechEnd;
    if (stage === 'firstAudio') this.close();
  }

  /**
   * Sets a stage to the time of the reply that is actually heard (overriding an earlier mark from a reply that
   * was cancelled, e.g. a preemptive guess); before a commit it waits like `mark`.
   */
  set(stage: Stage, at: number): void {
    if (!this.open) {
      this.early[stage] = at;
      return;
    }
    if (at >= this.open.speechEnd) this.open.stages[stage] = at - this.open.speechEnd;
  }

  /** A turn is open and has not had its first audio yet. */
  get awaitingAudio(): boolean {
    return this.open !== undefined && this.open.stages.firstAudio === undefined;
  }

  /** Emits the open turn (complete or not). */
  close(): void {
    const t = this.open;
    if (!t) return;
    this.open = undefined;
    this.emit({ turnId: t.id, speechEnd: t.speechEnd, stages: t.stages });
  }
}

/** A chunk of a reply and where its audio lies in the reply's playback (seconds from its first frame). */
export interface TimedChunk {
  text: string;
  startSec: number;
  endSec: number;
}

/**
 * The part of a reply the listener heard, from its chunk map and the playback position the output reported
 * when it was cut: whole chunks before the position, and of the chunk playing then, the words whose share of
 * its characters lies before the position's share of its audio (a word is kept once it is half spoken).
 */
export function spokenText(chunks: readonly TimedChunk[], playedSec: number): string {
  const out: string[] = [];
  for (const c of chunks) {
    if (playedSec >= c.endSec - 1e-3) {
      out.push(c.text.trim());
      continue;
    }
    if (playedSec > c.startSec && c.endSec > c.startSec) {
      const share = (playedSec - c.startSec) / (c.endSec - c.startSec);
      const words = c.text.trim().split(/\s+/);
      const total = words.reduce((n, w) => n + w.length + 1, 0);
      let at = 0;
      const kept: string[] = [];
      for (const w of words) {
        const mid = (at + (w.length + 1) / 2) / total;
        if (mid > share) break;
        kept.push(w);
        at += w.length + 1;
      }
      if (kept.length) out.push(kept.join(' '));
    }
    break;
  }
  return out.join(' ');
}

/** What one turn's timing is made of, measured independently of the stage marks (all wall-clock ms). */
export interface TurnMeasures {
  /** The user's speech end as the input measured it (last voiced frame received); undefined outside local mode. */
  measuredSpeechEnd?: number;
  /** The brain request that answered: when it was sent and its first delta arrived (its own timer). */
  brain?: { sentAt: number; firstAt: number };
  /** The reply's first tts chunk: when it was sent and its first audio arrived (its own timer). */
  tts?: { sentAt: number; firstAt: number };
}

export interface Reconciliation {
  turnId: string;
  /** Measured speech end → first audible agent frame (ms): what the listener waited. */
  measuredMs: number;
  /** Stages and the gaps between them, in order (ms; a gap is negative when a stage started early, preemptively). */
  breakdown: { part: string; ms: number }[];
  /** Sum of the breakdown minus the measured wait (ms). */
  errorMs: number;
}

/** Largest |error| for a turn to count as reconciled (ms). */
export const RECONCILE_TOLERANCE_MS = 20;

/**
 * Rebuilds a turn's wait from its parts: speech end → VAD end → commit (endpointing) → brain request sent (gap)
 * → brain's own time to first delta → first chunk sent to TTS (gap) → TTS's own time to first audio → first
 * audible frame (playout). Parts come from different clocks and components, so a part that belongs to another
 * turn (a stale preemptive reply), a clock slip or a missing stage shows as an error. Undefined when the turn
 * had no audio or the input could not measure speech end.
 */
export function reconcile(report: TurnReport, m: TurnMeasures): Reconciliation | undefined {
  const s = report.stages;
  const t0 = report.speechEnd;
  if (m.measuredSpeechEnd === undefined || s.firstAudio === undefined || s.endOfTurn === undefined) return undefined;
  const at = (ms: number) => t0 + ms;
  const firstAudio = at(s.firstAudio);
  const commit = at(s.endOfTurn);
  const parts: { part: string; ms: number }[] = [
    { part: 'speech end → VAD end', ms: t0 - m.measuredSpeechEnd },
    { part: 'endpointing', ms: commit - t0 },
  ];
  let cursor = commit;
  if (m.brain) {
    parts.push({ part: 'gap → brain sent', ms: m.brain.sentAt - cursor });
    parts.push({ part: 'brain first delta', ms: m.brain.firstAt - m.brain.sentAt });
    cursor = s.brainFirstDelta !== undefined ? at(s.brainFirstDelta) : m.brain.firstAt;
  }
  if (m.tts) {
    parts.push({ part: 'gap → tts sent', ms: m.tts.sentAt - cursor });
    parts.push({ part: 'tts first chunk', ms: m.tts.firstAt - m.tts.sentAt });
    cursor = s.ttsFirstChunk !== undefined ? at(s.ttsFirstChunk) : m.tts.firstAt;
  }
  parts.push({ part: 'transport + playout', ms: firstAudio - cursor });
  const measuredMs = firstAudio - m.measuredSpeechEnd;
  const sum = parts.reduce((n, p) => n + p.ms, 0);
  return { turnId: report.turnId, measuredMs, breakdown: parts, errorMs: sum - measuredMs };
}
