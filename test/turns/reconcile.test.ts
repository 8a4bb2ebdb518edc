// Timings that add up (issue 11): a turn's stages, the brain's and tts's own times and the gaps between them sum
// to the measured speech end → first agent audio; parts from another turn (a stale preemptive reply) do not.
import { describe, expect, it } from 'vitest';
import { RECONCILE_TOLERANCE_MS, reconcile, spokenText, type TurnReport } from '../../agent-host/turns.js';

const T0 = 1_000_000; // the VAD's speech end

function report(stages: TurnReport['stages']): TurnReport {
  return { turnId: 's-t1', speechEnd: T0, stages };
}

describe('reconcile', () => {
  it('a turn whose parts belong to it adds up, with the VAD lag and preemptive (negative) gaps as parts', () => {
    const r = reconcile(
      report({ endOfTurn: 210, sttFinal: 205, brainFirstDelta: 120, ttsFirstChunk: 190, firstAudio: 260 }),
      {
        measuredSpeechEnd: T0 - 35, // Silero ended speech 35 ms after the last voiced frame
        brain: { sentAt: T0 + 40, firstAt: T0 + 120 }, // preemptive: sent before the commit
        tts: { sentAt: T0 + 125, firstAt: T0 + 190 },
      },
    );
    expect(r?.measuredMs).toBe(295);
    expect(Math.abs(r?.errorMs ?? Number.NaN)).toBeLessThanOrEqual(RECONCILE_TOLERANCE_MS);
    expect(r?.breakdown.map((p) => p.part)).toEqual([
      'speech end → VAD end',
      'endpointing',
      'gap → brain sent',
      'brain first delta',
      'gap → tts sent',
      'tts first chunk',
      'transport + playout',
    ]);
    expect(r?.breakdown.find((p) => p.part === 'gap → brain sent')?.ms).toBe(-170);
  });

  it('a brain timing from another request (a cancelled preemptive reply) does not add up and is reported', () => {
    const r = reconcile(report({ endOfTurn: 210, brainFirstDelta: 120, ttsFirstChunk: 190, firstAudio: 260 }), {
      measuredSpeechEnd: T0 - 35,
      brain: { sentAt: T0 + 230, firstAt: T0 + 400 }, // a later request than the one whose delta was marked
      tts: { sentAt: T0 + 125, firstAt: T0 + 190 },
    });
    expect(Math.abs(r?.errorMs ?? 0)).toBeGreaterThan(RECONCILE_TOLERANCE_MS);
  });

  it('no audio or no measured speech end: nothing to reconcile', () => {
    expect(reconcile(report({ endOfTurn: 200 }), { measuredSpeechEnd: T0 })).toBeUndefined();
    expect(reconcile(report({ endOfTurn: 200, firstAudio: 300 }), {})).toBeUndefined();
  });
});

describe('spokenText', () => {
  const chunks = [
    { text: 'Sure.', startSec: 0, endSec: 0.6 },
    { text: 'It is mild today,', startSec: 0.6, endSec: 1.8 },
    { text: 'and sunny tomorrow.', startSec: 1.8, endSec: 3 },
  ];
  it('keeps whole chunks played and the words of the cut chunk whose middle was reached', () => {
    expect(spokenText(chunks, 0)).toBe('');
    expect(spokenText(chunks, 0.6)).toBe('Sure.');
    expect(spokenText(chunks, 0.85)).toBe('Sure. It');
    expect(spokenText(chunks, 1.5)).toBe('Sure. It is mild');
    expect(spokenText(chunks, 3)).toBe('Sure. It is mild today, and sunny tomorrow.');
  });
});
