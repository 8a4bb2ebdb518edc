// A conversation seen from outside: one trace per user turn and the Prometheus latency-budget metrics, both
// built from VoiceSession's events. It never changes the conversation; with tracing off only metrics run.
import { voice } from '@livekit/agents';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { type Attributes, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { NatsLink } from '../lib/bus/nats-link.js';
import type { Logger } from '../lib/log.js';
import { type AgentEvent, agentEvent, agentEventsSubject, type TurnStages } from '../lib/protocol/index.js';
import {
  sessionErrors,
  sessionsActive,
  sessionsTotal,
  TURN_STAGES,
  turnStageSeconds,
  turnsTotal,
} from '../lib/telemetry/metrics.js';
import { TRACER_NAME, tracingEnabled } from '../lib/telemetry/spans.js';
import { startSpanAs } from '../lib/telemetry/tracing.js';
import type { VoiceSession } from './session.js';

/**
 * Counts one agent event into this process's metrics: stage histograms from `turn`, errors by code from `error`,
 * sessions started. In-process sessions feed it directly (instrumentSession); the room-mode host, whose sessions
 * run in job processes, feeds it from `agent.events.*` (countPublishedEvents).
 */
export function observeAgentEvent(event: AgentEvent): void {
  if (event.type === 'turn') observeTurn(event.stages);
  else if (event.type === 'error') sessionErrors.inc({ code: event.code });
  else if (event.type === 'session' && event.state === 'started') sessionsTotal.inc();
}

function observeTurn(stages: TurnStages): void {
  for (const [key, stage] of Object.entries(TURN_STAGES) as [keyof TurnStages, string][]) {
    const ms = stages[key];
    if (ms !== undefined && ms >= 0) turnStageSeconds.observe({ stage }, ms / 1000);
  }
  turnsTotal.inc({ outcome: stages.firstAudio !== undefined ? 'audio' : 'no_audio' });
}

/** What is known of a committed turn before its `turn` event (which carries only relative stage times). */
interface CommittedTurn {
  traceparent: string;
  /** Wall-clock ms: first voiced frame of the utterance (the first `speaking` since the last commit). */
  speechStart: number | undefined;
  speechEnd: number;
}

export interface InstrumentOptions {
  /** Count this session's events into this process's metrics (off where a subscriber counts them instead). */
  metrics?: boolean;
}

/**
 * Watches one session. Each committed turn becomes a trace whose root span *is* the turn's `traceparent` (the
 * one the brain and tts calls carried), with the host's stages as children: the user's speech, endpointing,
 * STT final, waiting for the brain's first delta, TTS first chunk, playout to the first audible frame.
 *
 * Turns are matched to their `turn` event in order: the session commits a turn on `eou_metrics` (closing the
 * previous one first), and this listener, registered after the session's own, records the commit right after.
 */
export function instrumentSession(session: VoiceSession, options: InstrumentOptions = {}): void {
  const committed: CommittedTurn[] = [];
  let speechStart: number | undefined;
  session.agentSession.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => {
    const m = ev.metrics;
    if (m.type !== 'eou_metrics' || m.lastSpeakingTimeMs <= 0) return; // the same turns the session commits
    committed.push({ traceparent: session.turnTraceparent, speechStart, speechEnd: m.lastSpeakingTimeMs });
    speechStart = undefined;
  });
  let live = false;
  session.on('event', function watchSession(event) {
    if (options.metrics !== false) {
      observeAgentEvent(event);
      if (event.type === 'session' && (event.state === 'started') !== live) {
        live = !live;
        sessionsActive.inc(live ? 1 : -1);
      }
    }
    if (event.type === 'state' && event.user === 'speaking') speechStart ??= event.at;
    if (event.type !== 'turn') return;
    const turn = committed.shift();
    if (turn && tracingEnabled()) recordTurn(session, event, turn);
  });
}

function recordTurn(session: VoiceSession, event: Extract<AgentEvent, { type: 'turn' }>, turn: CommittedTurn): void {
  const s = event.stages;
  const t0 = turn.speechEnd;
  // A `speaking` long before the commit was noise that never became a turn: start at the speech end then.
  const start = turn.speechStart !== undefined && t0 - turn.speechStart < 30_000 ? Math.min(turn.speechStart, t0) : t0;
  const attributes: Record<string, string | number> = {
    'arc.session_id': session.options.sessionId,
    'arc.turn_id': event.turnId,
    'arc.component': 'agent-host',
  };
  for (const [key, stage] of Object.entries(TURN_STAGES) as [keyof TurnStages, string][]) {
    const ms = s[key];
    if (ms !== undefined) attributes[`arc.stage.${stage}_ms`] = Math.round(ms);
  }
  const root = startSpanAs(turn.traceparent, 'turn', { kind: SpanKind.SERVER, startTime: start, attributes });
  if (!root) return;
  const parent = trace.setSpan(ROOT_CONTEXT, root);
  const tracer = trace.getTracer(TRACER_NAME);
  const span = (name: string, from: number, to: number, extra: Attributes) =>
    tracer
      .startSpan(name, { startTime: from, attributes: { 'arc.component': 'agent-host', ...extra } }, parent)
      .end(to);
  if (start < t0) span('user.speech', start, t0, {});
  // Each stage runs from the latest earlier milestone already reached (stages overlap: STT may finish before
  // the turn is committed, a preemptive reply may start before it), so the children read as a waterfall.
  const reached: number[] = [0];
  for (const [key, name] of STAGE_SPANS) {
    const ms = s[key];
    if (ms === undefined || ms < 0) continue;
    const from = Math.max(...reached.filter((r) => r <= ms));
    span(name, t0 + from, t0 + ms, { 'arc.stage.at_ms': Math.round(ms) });
    reached.push(ms);
  }
  if (s.firstAudio === undefined) root.setAttribute('arc.outcome', 'no_audio');
  root.end(s.firstAudio !== undefined ? t0 + s.firstAudio : event.at);
}

/** Host-side child spans of a turn, in the order of the latency budget. */
const STAGE_SPANS: [keyof TurnStages, string][] = [
  ['endOfTurn', 'vad.endpointing'],
  ['sttFinal', 'stt.final'],
  ['brainFirstDelta', 'brain.first_delta'],
  ['firstSpeakableChunk', 'tts.first_speakable_chunk'],
  ['ttsFirstChunk', 'tts.first_chunk'],
  ['firstAudio', 'playout.first_audio'],
];

/** Events worth counting from the bus (reply deltas and state changes are most of the traffic and are skipped). */
const COUNTED = /^\{"type":"(turn|error|session)"/;

/**
 * The room-mode host's metrics: its sessions run in job processes (not scraped), which publish every event on
 * `agent.events.<sessionId>`. A queue group counts each event once across host replicas, so sums are right.
 * Returns the unsubscribe.
 */
export function countPublishedEvents(nats: NatsLink, log: Logger, queue = 'arc-host-metrics'): () => void {
  let current: { nc: NatsConnection; sub: Subscription } | undefined;
  const off = nats.onConnect((nc) => {
    if (current?.nc === nc) return;
    const sub = nc.subscribe(agentEventsSubject('*'), {
      queue,
      callback: (err, msg) => {
        if (err) return void log.warn({ err: err.message }, 'agent events subscription error');
        const text = msg.string();
        if (!COUNTED.test(text)) return;
        try {
          const event = agentEvent.safeParse(JSON.parse(text));
          if (event.success) observeAgentEvent(event.data);
        } catch {
          // not JSON: someone else's message on our subject; nothing to count
        }
      },
    });
    current = { nc, sub };
  });
  return () => {
    off();
    current?.sub.unsubscribe();
  };
}
