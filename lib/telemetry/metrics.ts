// Prometheus metrics of the function runtime and client (one registry per process).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
let defaultsCollected = false;

/** Process metrics (CPU, memory, event loop lag); called once by process entry points. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: registry, prefix: 'arc_' });
}

export type Transport = 'nats' | 'http' | 'inproc';

/** Server side: requests a replica handled, by transport and outcome (`ok` or an error code). */
export const functionRequests = new Counter({
  name: 'arc_function_requests_total',
  help: 'Requests handled by a function replica',
  labelNames: ['function', 'transport', 'outcome'] as const,
  registers: [registry],
});

export const functionDuration = new Histogram({
  name: 'arc_function_request_duration_seconds',
  help: 'Time from request received to last byte sent, per function and transport',
  labelNames: ['function', 'transport'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const functionInflight = new Gauge({
  name: 'arc_function_inflight',
  help: 'Requests in flight on this replica',
  labelNames: ['function'] as const,
  registers: [registry],
});

/** Client side: calls by the transport that finally served them. */
export const clientCalls = new Counter({
  name: 'arc_client_calls_total',
  help: 'Function calls made by FunctionClient, by the transport that served them and outcome',
  labelNames: ['function', 'transport', 'outcome'] as const,
  registers: [registry],
});

/** Client side: each time a call moved to the next transport, and why. */
export const clientFallbacks = new Counter({
  name: 'arc_client_fallbacks_total',
  help: 'Calls that fell back from one transport to the next, by reason (error code)',
  labelNames: ['function', 'from', 'to', 'reason'] as const,
  registers: [registry],
});

// ── the agent host: the latency budget per turn, sessions, errors ─────────────────────────────────────────────

/** Stages of a turn as labels, in the order of the latency budget (seconds after the end of user speech). */
export const TURN_STAGES = {
  endOfTurn: 'endpointing',
  sttFinal: 'stt_final',
  brainFirstDelta: 'brain_first_delta',
  firstSpeakableChunk: 'first_speakable_chunk',
  ttsFirstChunk: 'tts_first_chunk',
  firstAudio: 'first_audio',
} as const;

/** `stage="first_audio"` is the E2E figure the 1 s budget (and its alert) is about. */
export const turnStageSeconds = new Histogram({
  name: 'arc_turn_stage_seconds',
  help: 'Time from the end of user speech to each stage of a turn (first_audio = E2E)',
  labelNames: ['stage'] as const,
  buckets: [0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 2, 3, 5, 10],
  registers: [registry],
});

/** Turns by whether they reached first audio (`audio`) or ended before it (`no_audio`: interrupted, failed). */
export const turnsTotal = new Counter({
  name: 'arc_turns_total',
  help: 'User turns committed, by whether agent audio followed',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

let activeSessions: (() => number) | undefined;

/** Where the room-mode host reads its count from (its job processes); in-process sessions count themselves. */
export function countActiveSessionsWith(source: () => number): void {
  activeSessions = source;
}

export const sessionsActive: Gauge = new Gauge({
  name: 'arc_sessions_active',
  help: 'Conversations running now',
  registers: [registry],
  collect() {
    if (activeSessions) sessionsActive.set(activeSessions());
  },
});

export const sessionsTotal = new Counter({
  name: 'arc_sessions_total',
  help: 'Conversations started',
  registers: [registry],
});

/** Errors a conversation reported (brain, tts, session), by error code. */
export const sessionErrors = new Counter({
  name: 'arc_session_errors_total',
  help: 'Errors reported by conversations, by error code',
  labelNames: ['code'] as const,
  registers: [registry],
});

// ── replicas: load of each queue-group member (several may share a process in the embedded shape) ────────────

/** What the replica gauges read from a FunctionRuntime. */
export interface ReplicaLoad {
  readonly contract: { name: string };
  readonly replicaId: string;
  readonly maxConcurrent: number;
  readonly inflightCount: number;
  readonly state: string;
}

const replicas = new Set<ReplicaLoad>();

/** Called by each FunctionRuntime; stopped replicas drop out at the next scrape. */
export function trackReplica(replica: ReplicaLoad): void {
  replicas.add(replica);
}

function collectReplicas(gauge: Gauge<'function' | 'replica'>, value: (r: ReplicaLoad) => number): void {
  gauge.reset();
  for (const r of replicas) {
    if (r.state === 'stopped' || r.state === 'failed') {
      replicas.delete(r);
      continue;
    }
    gauge.set({ function: r.contract.name, replica: r.replicaId }, value(r));
  }
}

export const replicaInflight: Gauge<'function' | 'replica'> = new Gauge({
  name: 'arc_replica_inflight',
  help: 'Requests admitted by a replica (running or waiting for a slot)',
  labelNames: ['function', 'replica'] as const,
  registers: [registry],
  collect() {
    collectReplicas(replicaInflight, (r) => r.inflightCount);
  },
});

export const replicaSaturation: Gauge<'function' | 'replica'> = new Gauge({
  name: 'arc_replica_saturation',
  help: 'Admitted requests over the replica concurrency (above 1: requests wait in its line)',
  labelNames: ['function', 'replica'] as const,
  registers: [registry],
  collect() {
    collectReplicas(replicaSaturation, (r) => r.inflightCount / Math.max(1, r.maxConcurrent));
  },
});
