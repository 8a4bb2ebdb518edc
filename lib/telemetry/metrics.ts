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
