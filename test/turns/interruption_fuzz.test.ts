// Interruption fuzz (issue 11): user speech at randomised moments over randomly delayed brain and tts, on
// several concurrent local sessions. 0 hangs, 0 swallowed turns, 0 leaks, agent audio stops within 150 ms of
// audio after the voice onset. Short form in CI (FUZZ_INTERRUPTIONS, default 200); long form:
//   FUZZ_INTERRUPTIONS=10000 FUZZ_SESSIONS=4 npx vitest run test/turns/interruption_fuzz.test.ts
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBackchannel } from '../../agent-host/plugins/backchannel.js';
import { RECONCILE_TOLERANCE_MS } from '../../agent-host/turns.js';
import {
  type Clip,
  clip,
  fuzzSession,
  type Interruption,
  percentile,
  resources,
  settle,
  startTurnStack,
  type TurnStack,
} from './harness.js';

const TOTAL = Number(process.env.FUZZ_INTERRUPTIONS ?? 200);
const SESSIONS = Number(process.env.FUZZ_SESSIONS ?? 4);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
/** Agent audio allowed after the user's voice onset (ms of emitted audio). */
const STOP_BUDGET_MS = 150;

let t: TurnStack;
let clips: Clip[];

beforeAll(async () => {
  t = await startTurnStack(SEED, SESSIONS);
  clips = ['what about tomorrow', 'tell me about the weather', 'what time is it now', 'stop and tell me more'].map(
    (text) => clip(text),
  );
  // The fuzz counts a turn as swallowed when nothing is committed: every clip must be recognisable as words.
  for (const c of clips) {
    const heard = await t.stack.checker.transcribe(c.wav.samples);
    expect(heard.trim(), c.text).not.toBe('');
    expect(isBackchannel(heard), heard).toBe(false);
  }
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('interruption fuzz', () => {
  it(`${TOTAL} randomised interruptions on ${SESSIONS} sessions: no hang, no swallowed turn, no leak, stop ≤ ${STOP_BUDGET_MS} ms`, async () => {
    // A warm-up round first (as many sessions as the run): lazily created, long-lived things (the NATS request
    // inbox, the recogniser's decoders…) are part of the baseline.
    await Promise.all(Array.from({ length: SESSIONS }, (_, i) => fuzzSession(t, -1 - i, 1, SEED + i, clips, [])));
    const base = resources(t);
    const results: Interruption[] = [];
    const per = Math.ceil(TOTAL / SESSIONS);
    const started = Date.now();
    const runs = await Promise.all(
      Array.from({ length: SESSIONS }, (_, i) => fuzzSession(t, i, per, SEED * 31 + i, clips, results)),
    );
    const leaks = runs.flatMap((r) => r.leaks);
    const reconcile = runs.flatMap((r) => r.reconciled).map(Math.abs);
    // Once every session is closed, the process holds what it held before: subscriptions and timers.
    await settle(() => {
      const now = resources(t);
      return now.subs <= base.subs && now.timers <= base.timers;
    }, 5_000);
    const after = resources(t);
    if (after.subs > base.subs) leaks.push(`NATS subscriptions ${base.subs} → ${after.subs}`);
    if (after.timers > base.timers) leaks.push(`timers ${base.timers} → ${after.timers}`);
    if (t.stack.host.active !== 0) leaks.push(`${t.stack.host.active} local sessions still open`);

    const talking = results.filter((r) => r.talking).map((r) => r.stopMs);
    const hung = results.filter((r) => r.hung);
    const swallowed = results.filter((r) => r.swallowed);
    const late = results.filter((r) => r.stopMs > STOP_BUDGET_MS);
    const byMoment = new Map<string, number>();
    for (const r of results)
      byMoment.set(`${r.moment}→${r.observed}`, (byMoment.get(`${r.moment}→${r.observed}`) ?? 0) + 1);
    const summary = [
      `interruption fuzz: seed ${SEED}, ${results.length} interruptions on ${SESSIONS} sessions in ${((Date.now() - started) / 1000).toFixed(0)} s`,
      `  hangs ${hung.length}, swallowed ${swallowed.length}, leaks ${leaks.length}, stops over ${STOP_BUDGET_MS} ms ${late.length}`,
      `  barge-in stop (agent audio after voice onset, n=${talking.length}): P50 ${percentile(talking, 50).toFixed(0)} ms, P95 ${percentile(talking, 95).toFixed(0)} ms, max ${Math.max(0, ...talking).toFixed(0)} ms`,
      `  turn timings vs measured speech end → first audio (n=${reconcile.length}): |error| P95 ${percentile(reconcile, 95).toFixed(1)} ms, max ${Math.max(0, ...reconcile).toFixed(1)} ms`,
      `  moments (aimed→observed): ${[...byMoment].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    ].join('\n');
    console.warn(summary);
    for (const r of [...hung, ...swallowed].slice(0, 5)) console.warn(r.detail);
    for (const r of late.slice(0, 5)) console.warn(`late stop ${r.stopMs} ms at ${r.moment}/${r.observed}`);

    expect(results.length).toBeGreaterThanOrEqual(TOTAL);
    expect(leaks, leaks.join('\n')).toEqual([]);
    expect(hung.length, 'hangs').toBe(0);
    expect(swallowed.length, 'swallowed turns').toBe(0);
    expect(late.length, `stops over ${STOP_BUDGET_MS} ms`).toBe(0);
    // The moments really were reached: mid-reply and before the first delta both occur.
    for (const where of ['before-first-delta', 'between-chunks', 'last-chunk', 'after-playback']) {
      expect(results.filter((r) => r.observed === where).length, `interruptions observed ${where}`).toBeGreaterThan(0);
    }
    expect(results.filter((r) => r.moment === 'double').length).toBeGreaterThan(0);
    // Timings that add up: every answered turn's parts sum to the measured wait within 20 ms.
    expect(reconcile.length).toBeGreaterThan(0);
    expect(Math.max(...reconcile), 'turn timing reconciliation error (ms)').toBeLessThanOrEqual(RECONCILE_TOLERANCE_MS);
  }, 3_600_000);
});
