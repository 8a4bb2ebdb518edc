// Counter of the client's one retry after a lost replica (beside arc_client_fallbacks_total in the same registry).
import { Counter } from 'prom-client';
import { registry } from '../telemetry/metrics.js';

export const clientRetries = new Counter({
  name: 'arc_client_retries_total',
  help: 'Idempotent calls sent again, once, after the replica serving them was lost (killed, silent, cut off)',
  labelNames: ['function', 'transport'] as const,
  registers: [registry],
});
