// Spoken turns through the whole pipeline (Silero VAD, PocketSphinx, brain + embed + tts over real NATS, pgvector)
// seen from outside: with an in-memory span exporter the turn is one trace, rooted at the host's turn span, with the
// brain's and tts's spans under the calls that reached them across NATS; and the host's /metrics moves with it.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeHttp, createHostApp, listenHttp } from '../../agent-host/room/health.js';
import { startTracing, type Tracing } from '../../lib/telemetry/tracing.js';
import {
  SessionRecorder,
  silence,
  speak,
  startVoiceStack,
  uniqueUser,
  type VoiceStack,
} from '../helpers/voice-stack.js';
import { fliteReference } from '../speech/helpers/speech.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;
let stack: VoiceStack;

beforeAll(async () => {
  tracing = await startTracing({ serviceName: 'arc-test', exporter });
  stack = await startVoiceStack({ defaults: { greeting: null } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await tracing?.shutdown();
});

/** The spans of one trace as a tree. */
class Tree {
  private readonly byId: Map<string, ReadableSpan>;
  constructor(readonly spans: ReadableSpan[]) {
    this.byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  }
  parentOf(span: ReadableSpan): ReadableSpan | undefined {
    const id = span.parentSpanContext?.spanId;
    return id ? this.byId.get(id) : undefined;
  }
  children(span: ReadableSpan | undefined, name: string | RegExp): ReadableSpan[] {
    if (!span) return [];
    return this.spans.filter(
      (s) =>
        s.parentSpanContext?.spanId === span.spanContext().spanId &&
        (typeof name === 'string' ? s.name === name : name.test(s.name)),
    );
  }
  /** The tree as indented lines: name, start offset and duration in ms. */
  render(span: ReadableSpan, depth = 0, t0 = startMs(span)): string {
    const dur = span.duration[0] * 1000 + span.duration[1] / 1e6;
    const line = `${'  '.repeat(depth)}${span.name}  +${(startMs(span) - t0).toFixed(1)} ms  ${dur.toFixed(1)} ms`;
    const kids = this.spans
      .filter((s) => s.parentSpanContext?.spanId === span.spanContext().spanId)
      .sort((a, b) => startMs(a) - startMs(b));
    return [line, ...kids.map((k) => this.render(k, depth + 1, t0))].join('\n');
  }
  /** Names from the root down to `span`. */
  path(span: ReadableSpan): string[] {
    const out = [span.name];
    for (let p = this.parentOf(span); p; p = this.parentOf(p)) out.unshift(p.name);
    return out;
  }
}

/** One user turn ("my name is alice") in a fresh session, up to the end of the agent's reply. */
async function oneTurn() {
  const rec = new SessionRecorder();
  const session = await stack.host.open({ userId: uniqueUser(), listener: rec.listener, output: { leadMs: 0 } });
  const q = fliteReference('my name is alice');
  await silence(session, 300);
  await speak(session, q.samples, q.sampleRate);
  await silence(session, 800);
  const turn = await rec.waitFor('turn', (t) => t.stages.firstAudio !== undefined, 20_000);
  await rec.waitFor('reply-end');
  await rec.waitForSilence(300);
  return { rec, session, turn };
}

const startMs = (s: ReadableSpan) => s.startTime[0] * 1000 + s.startTime[1] / 1e6;

describe('one trace per user turn', () => {
  it('host turn → brain (retrieve → embed, db; generate → first token) and tts chunks, all in the turn trace', async () => {
    exporter.reset();
    const { session, turn } = await oneTurn();
    await session.close();
    await tracing?.flush();

    const all = exporter.getFinishedSpans();
    const roots = all.filter((s) => s.name === 'turn' && s.attributes['arc.turn_id'] === turn.turnId);
    expect(roots, all.map((s) => s.name).join(', ')).toHaveLength(1);
    const root = roots[0] as ReadableSpan;
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes['arc.session_id']).toBe(session.sessionId);
    expect(root.attributes['arc.stage.first_audio_ms']).toBe(Math.round(turn.stages.firstAudio as number));

    const traceId = root.spanContext().traceId;
    const tree = new Tree(all.filter((s) => s.spanContext().traceId === traceId));
    if (process.env.TEST_VERBOSE) console.warn(tree.render(root));
    // Every span of the trace hangs from the turn span: no orphan whose parent was never exported.
    for (const s of tree.spans) expect(tree.path(s)[0], `${s.name} has a missing parent`).toBe('turn');

    // Host: the stages of the turn as children of the root.
    for (const name of ['vad.endpointing', 'stt.final', 'playout.first_audio']) {
      expect(tree.children(root, name), name).toHaveLength(1);
    }

    // Brain: client span on the host, server span in the brain (over NATS), the graph's nodes under it.
    const brainServes = tree.children(root, 'call brain').flatMap((c) => tree.children(c, 'serve brain'));
    expect(brainServes.length).toBeGreaterThanOrEqual(1);
    const brain = brainServes.at(-1) as ReadableSpan;
    expect(brain.attributes['arc.transport']).toBe('nats');
    const retrieve = tree.children(brain, 'brain.retrieve_context')[0];
    const generate = tree.children(brain, 'brain.generate_response')[0];
    expect(tree.children(brain, 'brain.persist')).toHaveLength(1);
    // retrieve → embed (a second function, over NATS) and the database.
    const embed = tree.children(retrieve, 'call embed').flatMap((c) => tree.children(c, 'serve embed'));
    expect(embed).toHaveLength(1);
    expect(embed[0]?.attributes['arc.transport']).toBe('nats');
    const queries = tree.children(retrieve, /^db /);
    expect(queries.length).toBeGreaterThanOrEqual(1);
    expect(queries.map((s) => s.attributes['db.query.text']).join('\n')).toMatch(/agents\.conversations/);
    expect(tree.children(generate, 'llm.first_token')).toHaveLength(1);

    // TTS: one call per speakable chunk from the host, each served by the tts function with its synthesis.
    const ttsCalls = tree.children(root, 'call tts');
    expect(ttsCalls.length).toBeGreaterThanOrEqual(1);
    for (const call of ttsCalls) {
      const serve = tree.children(call, 'serve tts');
      expect(serve, 'each tts call reached a replica').toHaveLength(1);
      const synth = tree.children(serve[0], 'tts.synthesize');
      expect(synth).toHaveLength(1);
      expect(synth[0]?.events.map((e) => e.name)).toContain('first item');
    }

    // A single trace: every brain and tts request served since the turn started belongs to it.
    const since = startMs(root);
    const served = all.filter((s) => /^serve (brain|tts)$/.test(s.name) && startMs(s) >= since);
    expect(served.length).toBe(brainServes.length + ttsCalls.length);
    expect(new Set(served.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
  }, 90_000);
});

/** Prometheus text format → `name{labels}` → value (labels in the order the registry writes them). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** Sum of the series of `name` whose labels include all of `labels`. */
function seriesSum(metrics: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, v] of metrics) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([k, val]) => key.includes(`${k}="${val}"`))) sum += v;
  }
  return sum;
}

describe('/metrics', () => {
  it('the host scrape shows every stage histogram move after a turn, with sessions, calls and replica load', async () => {
    const http = await listenHttp(
      createHostApp(async () => ({ ready: true })),
      0,
      '127.0.0.1',
    );
    const scrape = async () => parseMetrics(await (await fetch(`${http.url}/metrics`)).text());
    try {
      const before = await scrape();
      const { session, turn } = await oneTurn();
      const during = await scrape();
      await session.close();
      const after = await scrape();

      const stages = ['endpointing', 'stt_final', 'brain_first_delta', 'first_speakable_chunk', 'tts_first_chunk'];
      for (const stage of [...stages, 'first_audio']) {
        const moved =
          seriesSum(after, 'arc_turn_stage_seconds_count', { stage }) -
          seriesSum(before, 'arc_turn_stage_seconds_count', { stage });
        expect(moved, stage).toBeGreaterThanOrEqual(1);
      }
      // E2E: the histogram's sum grew by this turn's first audio (the only turn with audio in this window).
      const e2e =
        seriesSum(after, 'arc_turn_stage_seconds_sum', { stage: 'first_audio' }) -
        seriesSum(before, 'arc_turn_stage_seconds_sum', { stage: 'first_audio' });
      expect(e2e).toBeCloseTo((turn.stages.firstAudio as number) / 1000, 3);
      expect(seriesSum(after, 'arc_turns_total', { outcome: 'audio' })).toBe(
        seriesSum(before, 'arc_turns_total', { outcome: 'audio' }) + 1,
      );
      // A session counts while it runs.
      expect(seriesSum(during, 'arc_sessions_active')).toBe(seriesSum(before, 'arc_sessions_active') + 1);
      expect(seriesSum(after, 'arc_sessions_active')).toBe(seriesSum(before, 'arc_sessions_active'));
      // Calls went over NATS (no HTTP fallback here), served by replicas whose load is reported per replica.
      for (const fn of ['brain', 'tts']) {
        const delta = (m: Map<string, number>, name: string, labels: Record<string, string>) =>
          seriesSum(m, name, labels) - seriesSum(before, name, labels);
        expect(
          delta(after, 'arc_client_calls_total', { function: fn, transport: 'nats', outcome: 'ok' }),
        ).toBeGreaterThan(0);
        expect(
          delta(after, 'arc_function_requests_total', { function: fn, transport: 'nats', outcome: 'ok' }),
        ).toBeGreaterThan(0);
        expect(
          [...after.keys()].some((k) => k.startsWith(`arc_replica_inflight{function="${fn}"`)),
          fn,
        ).toBe(true);
      }
      expect(seriesSum(after, 'arc_client_fallbacks_total')).toBe(seriesSum(before, 'arc_client_fallbacks_total'));
    } finally {
      await closeHttp(http.server);
    }
  }, 90_000);
});
