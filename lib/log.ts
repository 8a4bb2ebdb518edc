// Structured JSON logs (pino); request-scoped loggers carry requestId and traceId on every line.
import { type Logger, pino } from 'pino';
import type { LogLevel } from './config/index.js';

export type { Logger } from 'pino';

const REDACT = [
  '*.password',
  '*.secret',
  '*.apiSecret',
  '*.token',
  '*.authorization',
  '*.databaseUrl',
  'config.livekit.apiSecret',
];

/** Root logger of one process; `svc` names the component (a function, the host, the gateway). */
export function createLogger(svc: string, level: LogLevel | string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { svc, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** A child logger for one request: every line it writes names the request and its trace. */
export function requestLogger(log: Logger, requestId: string, traceId?: string): Logger {
  return log.child(traceId ? { requestId, traceId } : { requestId });
}
