// One spoken turn through the whole pipeline (Silero VAD, PocketSphinx, brain + embed + tts over real NATS,
// pgvector) with an in-memory span exporter: the turn is one trace, rooted at the host's turn span, with the
// brain's and tts's spans under the calls that reached them across NATS.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const startMs = (s: ReadableSpan) => s.startTime[0] * 1000 + s.startTime[1] / 1e6;

describe('one trace per user turn', () => {
  it('host turn → brain (retrieve → embed, db; generate → first token) and tts chunks, all in the turn trace', async () => {
    exporter.reset();
    const rec = new SessionRecorder();
    const session = await stack.host.open({ userId: uniqueUser(), listener: rec.listener, output: { leadMs: 0 } });
    const q = fliteReference('my name is alice');
    await silence(session, 300);
    await speak(session, q.samples, q.sampleRate);
    await silence(session, 800);
    const turn = await rec.waitFor('turn', (t) => t.stages.firstAudio !== undefined, 20_000);
    await rec.waitFor('reply-end');
    await rec.waitForSilence(300);
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
