// bench/e2e: the local-mode voice pipeline on fixed WAVs, fed in real time, measured from the end of the user's
// speech (last voiced frame fed) to the first agent frame and the first audible agent frame.
//   Part 1 (issue 12): ours vs the agents-js defaults, side by side, questions × rounds + paused sentences.
//   Part 2 (issue 12): the latency levers one at a time: ours with each switched off, same fixtures, interleaved.
//   Part 3 (issue 6): ours with LLM→TTS overlap on vs off, with an LLM streaming at 20 ms per token.
// (STT streaming vs batch, the first-clause chunker and leading-silence trimming are measured on/off in
// bench/speech, where they can be isolated from the session.)
// Usage: npm run bench:e2e [-- --rounds 2 --overlap-turns 25 --skip-compare --skip-levers --skip-overlap --no-build]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FAST_SPEECH, loadSpeech, type Speech } from '../../agent-host/speech.js';
import { type Config, loadConfig } from '../../lib/config/index.js';
import { createLogger } from '../../lib/log.js';
import { sleep } from '../../lib/util/abort.js';
import { Microphone } from '../../test/helpers/microphone.js';
import { formatTable, ms, percentiles } from '../stats.js';
import { type Fixture, pausedFixtures, questionFixtures, RATE, warmUpFixture } from './fixtures.js';
import {
  loadBenchSpeech,
  type Observations,
  openBaseline,
  openOurs,
  type Pipeline,
  type PipelineDeps,
  wall,
} from './pipelines.js';
import { startBenchStack } from './stack.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    'overlap-turns': { type: 'string', default: '25' },
    'skip-compare': { type: 'boolean', default: false },
    'skip-levers': { type: 'boolean', default: false },
    'skip-overlap': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    json: { type: 'string' },
    /** Fixture ids to run (prefix match: `p` = the paused ones), for looking into one case. */
    only: { type: 'string' },
  },
});

/** Host-reported vs measured E2E beyond this is logged with the turn's breakdown (issue 11). */
const RECONCILE_TOLERANCE_MS = 20;

const STAGES = ['endOfTurn', 'sttFinal', 'brainFirstDelta', 'ttsFirstChunk', 'firstFrame', 'firstAudible'] as const;
type Stage = (typeof STAGES)[number];

interface TurnResult {
  pipeline: string;
  fixture: string;
  paused: boolean;
  stages: Partial<Record<Stage, number>>;
  falseCutoff: boolean;
  /** Host-reported E2E minus measured E2E (ours only). */
  reconcileMs?: number;
  /** The host's stages plus the gaps between them, minus the wait it measured (ours only; agent-host/turns.ts). */
  stageSumErrorMs?: number;
  /** Transport and queueing on the way to the first audio (ours only): brain, tts, tts arrival → first frame. */
  overhead?: { brain?: number; tts?: number; output?: number };
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) return false;
    await sleep(10);
  }
  return true;
}

/** Waits until the agent has released no audio for `quietMs`. */
async function agentQuiet(obs: Observations, quietMs = 600, timeoutMs = 30_000): Promise<void> {
  await waitFor(() => Date.now() - (obs.frames.at(-1)?.at ?? 0) >= quietMs, timeoutMs);
}

const lastBefore = <T extends { at: number }>(xs: T[], from: number, to: number) =>
  xs.filter((x) => x.at >= from && x.at <= to).at(-1);

/** One user turn: say the fixture, wait for the reply to start and end, read the observations. */
async function runTurn(p: Pipeline, mic: Microphone, f: Fixture): Promise<TurnResult> {
  const o = p.obs;
  const startedAt = Date.now();
  const said = await mic.say(f.samples, RATE, f.resumeAt ? [f.resumeAt] : []);
  const end = said.voicedEndAt;
  await waitFor(() => o.frames.some((x) => x.at >= end && x.audible), 15_000);
  const firstFrame = o.frames.find((x) => x.at >= startedAt)?.at;
  const firstAudible = o.frames.find((x) => x.at >= startedAt && x.audible)?.at;
  await agentQuiet(o);
  const commit = o.commits.find((c) => c >= startedAt);
  const rel = (t: number | undefined) => (t === undefined ? undefined : t - end);
  const brain = lastBefore(o.brainFirst, startedAt, firstFrame ?? Number.POSITIVE_INFINITY);
  const tts = lastBefore(o.ttsFirst, startedAt, firstFrame ?? Number.POSITIVE_INFINITY);
  const result: TurnResult = {
    pipeline: p.name,
    fixture: f.id,
    paused: f.resumeAt !== undefined,
    stages: {
      endOfTurn: rel(commit),
      sttFinal: rel(o.finals.filter((x) => x >= startedAt && x <= (commit ?? Number.POSITIVE_INFINITY)).at(-1)),
      brainFirstDelta: rel(brain?.at),
      ttsFirstChunk: rel(tts?.at),
      firstFrame: rel(firstFrame),
      firstAudible: rel(firstAudible),
    },
    // Cut off: the turn was committed, or the agent spoke, before the user had finished.
    falseCutoff: o.commits.some((c) => c >= startedAt && c < end) || (firstFrame !== undefined && firstFrame < end),
  };
  if (process.env.BENCH_VERBOSE) {
    const b = o.brainFirst
      .filter((x) => x.at >= startedAt)
      .map((x) => `${Math.round(wall(x.timing?.sentAt ?? 0) - end)}→${x.at - end}`);
    const t = o.ttsFirst
      .filter((x) => x.at >= startedAt)
      .map((x) => `${Math.round(wall(x.timing?.sentAt ?? 0) - end)}→${x.at - end}`);
    const c = o.committed.filter((x) => x.at >= startedAt).map((x) => `${x.at - end}:"${x.text}"`);
    log(
      `  ${p.name} ${f.id}: brain ${b.join(' ')} | tts ${t.join(' ')} | commit ${c.join(' ')} | frame ${rel(firstFrame)}`,
    );
  }
  if (result.falseCutoff) {
    const texts = o.committed.filter((c) => c.at >= startedAt).map((c) => `"${c.text}" at ${c.at - end} ms`);
    log(`  cut off on ${f.id} (${f.text}): committed ${texts.join(', ')}`);
  }
  const turn = o.turns.filter((t) => t.speechEndAt !== undefined && Math.abs(t.speechEndAt - end) < 1_500).at(-1);
  // (A cut-off turn answered the first half: its stages and the utterance's end are of different turns.)
  if (turn?.stages.firstAudio !== undefined && firstAudible !== undefined && !result.falseCutoff) {
    result.reconcileMs = turn.stages.firstAudio - (firstAudible - end);
    // The host's stages must add up to what the listener measured; a turn that does not is shown whole.
    if (Math.abs(result.reconcileMs) > RECONCILE_TOLERANCE_MS)
      log(
        `  ${p.name} ${f.id}: host stages ${JSON.stringify(turn.stages)} do not reconcile with measured first audible ${firstAudible - end} ms (off by ${result.reconcileMs} ms)`,
      );
  }
  const own = o.reconciled.filter((x) => x.at >= startedAt).at(-1);
  if (own && !result.falseCutoff) result.stageSumErrorMs = Math.round(own.r.errorMs * 10) / 10;
  if (brain?.timing || tts?.timing) {
    const transport = (t: typeof brain) =>
      t?.timing?.handlerMs !== undefined ? t.timing.firstAt - t.timing.sentAt - t.timing.handlerMs : undefined;
    result.overhead = {
      brain: transport(brain),
      tts: transport(tts),
      // From the moment the first audio could play (tts has it and the turn is committed: a preemptive reply
      // waits for the commit by design) to the output releasing its first frame.
      output: firstFrame !== undefined && tts ? firstFrame - Math.max(tts.at, commit ?? 0) : undefined,
    };
  }
  await sleep(400);
  return result;
}

const reconciled = (r: TurnResult) =>
  (r.reconcileMs === undefined ? '' : `, host E2E off by ${r.reconcileMs} ms`) +
  (r.stageSumErrorMs === undefined ? '' : `, stages + gaps off by ${r.stageSumErrorMs} ms`);

/** Ours with one lever off each (and the all-on reference), on the same fixtures, turn by turn interleaved. */
async function runLevers(deps: PipelineDeps, config: Config, fast: Speech, out: string[]): Promise<TurnResult[]> {
  const silero = await loadSpeech(config, { ...FAST_SPEECH, endSilenceMs: undefined }, { engine: 'pocketsphinx' });
  const variants = [
    await openOurs(deps, fast, 'all levers on'),
    await openOurs(deps, silero, 'no level end (Silero ends speech)'),
    await openOurs(deps, fast, 'no preemptive generation', { preemptiveGeneration: false }),
    await openOurs(deps, fast, 'no transcript endpointing (200 ms)', { turnDetection: 'vad' }),
    await openOurs(deps, fast, 'no transcript endpointing (500 ms)', {
      turnDetection: 'vad',
      endpointing: { minDelayMs: 500, maxDelayMs: 500 },
    }),
  ];
  const fixtures = [...questionFixtures(), ...pausedFixtures()].filter((f) => !args.only || f.id.startsWith(args.only));
  const mics = new Map(variants.map((p) => [p, new Microphone(p)]));
  const results: TurnResult[] = [];
  try {
    await sleep(1_500);
    for (const p of variants) await runTurn(p, mics.get(p) as Microphone, warmUpFixture());
    for (const [i, f] of fixtures.entries()) {
      for (const p of variants) {
        const r = await runTurn(p, mics.get(p) as Microphone, f);
        results.push(r);
        log(
          `[levers ${i + 1}/${fixtures.length}] ${p.name.padEnd(34)} ${f.id.padEnd(4)} audible ${ms(r.stages.firstAudible ?? Number.NaN, 0)} ms${r.falseCutoff ? '  CUT OFF' : ''}`,
        );
      }
    }
  } finally {
    for (const [p, mic] of mics) {
      await mic.stop();
      await p.close();
    }
    await silero.close();
  }
  const ref = variants[0] as Pipeline;
  const audible = (name: string, paused: boolean) =>
    percentiles(
      results
        .filter((r) => r.pipeline === name && r.paused === paused && !r.falseCutoff)
        .map((r) => r.stages.firstAudible ?? Number.NaN)
        .filter(Number.isFinite),
    );
  const refQ = audible(ref.name, false);
  const rows = variants.map((p) => {
    const q = audible(p.name, false);
    const pa = audible(p.name, true);
    const paused = results.filter((r) => r.pipeline === p.name && r.paused);
    return [
      p.name,
      `${ms(q.p50, 0)} / ${ms(q.p95, 0)}`,
      p === ref ? '-' : `${q.p50 - refQ.p50 >= 0 ? '+' : ''}${ms(q.p50 - refQ.p50, 0)}`,
      `${ms(pa.p50, 0)} / ${ms(pa.max, 0)}`,
      `${paused.filter((r) => r.falseCutoff).length}/${paused.length}`,
    ];
  });
  out.push(`\n## Latency levers, one off at a time (${fixtures.length} turns each, interleaved)\n`);
  out.push(
    formatTable(
      [
        'variant',
        'questions: first audible P50 / P95',
        'P50 cost of switching it off',
        'paused: first audible P50 / max',
        'false cut-offs',
      ],
      rows,
    ),
  );
  return results;
}

function stageTable(results: TurnResult[], pipelines: string[]): string {
  const rows: string[][] = [];
  for (const stage of STAGES) {
    for (const name of pipelines) {
      const xs = results.filter((r) => r.pipeline === name).map((r) => r.stages[stage]);
      const p = percentiles(xs.filter((x): x is number => x !== undefined));
      rows.push([stage, name, String(p.n), ms(p.p50, 0), ms(p.p95, 0), ms(p.max, 0)]);
    }
  }
  return formatTable(['stage (ms after speech end)', 'pipeline', 'n', 'P50', 'P95', 'max'], rows);
}

function summaryTable(results: TurnResult[], pipelines: string[]): string {
  const base = percentiles(
    results
      .filter((r) => r.pipeline === pipelines[1] && !r.falseCutoff)
      .map((r) => r.stages.firstAudible ?? Number.NaN)
      .filter(Number.isFinite),
  );
  const rows = pipelines.map((name) => {
    const mine = results.filter((r) => r.pipeline === name);
    // Latency of turns answered whole: a cut-off answered half a sentence early (counted in its own column).
    const whole = mine.filter((r) => !r.falseCutoff);
    const audible = percentiles(whole.map((r) => r.stages.firstAudible ?? Number.NaN).filter(Number.isFinite));
    const frame = percentiles(whole.map((r) => r.stages.firstFrame ?? Number.NaN).filter(Number.isFinite));
    const paused = mine.filter((r) => r.paused);
    const cut = paused.filter((r) => r.falseCutoff).length;
    return [
      name,
      `${ms(frame.p50, 0)} / ${ms(frame.p95, 0)}`,
      `${ms(audible.p50, 0)} / ${ms(audible.p95, 0)} / ${ms(audible.max, 0)}`,
      name === pipelines[1]
        ? '1.00×'
        : `${(base.p50 / audible.p50).toFixed(2)}× (P95 ${(base.p95 / audible.p95).toFixed(2)}×)`,
      `${cut}/${paused.length}`,
      String(mine.filter((r) => !r.paused && r.falseCutoff).length),
    ];
  });
  return formatTable(
    [
      'pipeline',
      'first frame P50 / P95',
      'first audible P50 / P95 / max',
      'speed-up vs defaults',
      'false cut-offs (paused)',
      'cut-offs (questions)',
    ],
    rows,
  );
}

function overheadTable(results: TurnResult[], name: string): string {
  const mine = results.filter((r) => r.pipeline === name);
  const row = (label: string, xs: (number | undefined)[]) => {
    const p = percentiles(xs.filter((x): x is number => x !== undefined));
    return [label, String(p.n), ms(p.p50, 1), ms(p.p95, 1), ms(p.max, 1)];
  };
  const rec = mine.map((r) => (r.reconcileMs === undefined ? undefined : Math.abs(r.reconcileMs)));
  return formatTable(
    ['own overhead / reconciliation (ms)', 'n', 'P50', 'P95', 'max'],
    [
      row(
        'brain transport (NATS, client − handler)',
        mine.map((r) => r.overhead?.brain),
      ),
      row(
        'tts transport (NATS, client − handler)',
        mine.map((r) => r.overhead?.tts),
      ),
      row(
        'ready (tts audio in, turn committed) → first agent frame',
        mine.map((r) => r.overhead?.output),
      ),
      row(
        'own overhead: the three above',
        mine.map((r) =>
          r.overhead?.brain !== undefined && r.overhead.tts !== undefined && r.overhead.output !== undefined
            ? r.overhead.brain + r.overhead.tts + r.overhead.output
            : undefined,
        ),
      ),
      row('|host E2E − measured E2E|', rec),
      row(
        '|stages + gaps − measured wait| (host)',
        mine.map((r) => (r.stageSumErrorMs === undefined ? undefined : Math.abs(r.stageSumErrorMs))),
      ),
    ],
  );
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'error' });
  const logger = createLogger('bench-e2e', 'error');
  if (!args['no-build']) execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { stdio: 'ignore' });
  log('starting nats-server, the database, the LLM peer and the four functions…');
  const stack = await startBenchStack(logger);
  const { fast, defaultVad } = await loadBenchSpeech(config);
  const deps = { config, log: logger, client: stack.client };
  const results: TurnResult[] = [];
  const out: string[] = [];
  try {
    if (!args['skip-compare']) {
      const rounds = Number(args.rounds);
      const fixtures = [...Array.from({ length: rounds }, () => questionFixtures()).flat(), ...pausedFixtures()].filter(
        (f) => !args.only || f.id.startsWith(args.only),
      );
      const ours = await openOurs(deps, fast);
      const base = await openBaseline(deps, defaultVad);
      const mics = new Map([ours, base].map((p) => [p, new Microphone(p)]));
      await sleep(1_500);
      // One unmeasured turn each, as a host that has served anyone before: both pipelines get the same.
      for (const p of [ours, base]) await runTurn(p, mics.get(p) as Microphone, warmUpFixture());
      for (const [i, f] of fixtures.entries()) {
        for (const p of [ours, base]) {
          const r = await runTurn(p, mics.get(p) as Microphone, f);
          results.push(r);
          log(
            `[${i + 1}/${fixtures.length}] ${p.name.padEnd(18)} ${f.id.padEnd(4)} audible ${ms(r.stages.firstAudible ?? Number.NaN, 0)} ms${reconciled(r)}${r.falseCutoff ? '  CUT OFF' : ''}`,
          );
        }
      }
      for (const [p, mic] of mics) {
        await mic.stop();
        await p.close();
      }
      const names = [ours.name, base.name];
      const nPaused = fixtures.filter((f) => f.resumeAt !== undefined).length;
      const gaps = fixtures.flatMap((f) => (f.voicedGapMs === undefined ? [] : [f.voicedGapMs]));
      const counts = `${fixtures.length - nPaused} questions + ${nPaused} paused sentences${
        gaps.length ? `, voiced pause ${Math.min(...gaps)}–${Math.max(...gaps)} ms` : ''
      }`;
      out.push(`\n## Ours vs agents-js defaults (${fixtures.length} turns each: ${counts})\n`);
      out.push(summaryTable(results, names));
      out.push(
        `\n${stageTable(
          results.filter((r) => !r.paused),
          names,
        )}`,
      );
      out.push(`\n${overheadTable(results, ours.name)}`);
    }
    if (!args['skip-levers']) results.push(...(await runLevers(deps, config, fast, out)));
    if (!args['skip-overlap']) {
      stack.setLlmPace(20);
      const turns = Number(args['overlap-turns']);
      const questions = questionFixtures();
      const on = await openOurs(deps, fast, 'overlap on');
      const off = await openOurs(deps, fast, 'overlap off', { overlap: false });
      const mics = new Map([on, off].map((p) => [p, new Microphone(p)]));
      await sleep(1_500);
      for (const p of [on, off]) await runTurn(p, mics.get(p) as Microphone, warmUpFixture());
      const overlap: TurnResult[] = [];
      for (let i = 0; i < turns; i++) {
        const f = questions[i % questions.length] as Fixture;
        for (const p of [on, off]) {
          const r = await runTurn(p, mics.get(p) as Microphone, f);
          overlap.push(r);
          log(
            `[overlap ${i + 1}/${turns}] ${p.name.padEnd(12)} audible ${ms(r.stages.firstAudible ?? Number.NaN, 0)} ms${reconciled(r)}`,
          );
        }
      }
      for (const [p, mic] of mics) {
        await mic.stop();
        await p.close();
      }
      results.push(...overlap);
      out.push(`\n## LLM→TTS overlap on vs off (LLM streaming 20 ms/token, 3-sentence reply, ${turns} turns each)\n`);
      out.push(summaryTable(overlap, [on.name, off.name]));
      out.push(`\n${stageTable(overlap, [on.name, off.name])}`);
      out.push(`\n${overheadTable(overlap, on.name)}`);
    }
  } finally {
    await fast.close();
    await stack.stop();
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
  process.exit(0);
}

await main();
