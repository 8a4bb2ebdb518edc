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
  commit(speechEnd: number, committedAt: number, transcriptAt: number | undefined): void {
    this.close();
    const stages: TurnStages = { endOfTurn: committedAt - speechEnd };
    if (transcriptAt !== undefined) stages.sttFinal = transcriptAt - speechEnd;
    for (const [stage, at] of Object.entries(this.early) as [Stage, number][]) {
      if (at >= speechEnd) stages[stage] = at - speechEnd;
    }
    this.early = {};
    this.open = { id: `${this.sessionId}-t${++this.count}`, speechEnd, stages };
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
