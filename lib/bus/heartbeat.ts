// Replica liveness over NATS: a caller asks for heartbeats; a replica that goes silent is declared lost early.
// (A request sent over NATS has no connection to its replica: without these, a killed replica is only noticed at
// the call's deadline — 60 s for brain — instead of within a couple of seconds.)

/** How often a replica sends proof of life while a request runs and nothing else was sent. */
export const HEARTBEAT_INTERVAL_MS = 400;

/**
 * Silence after which the caller gives the replica up. Four missed beats: a replica whose event loop is busy
 * for a moment (a 2-core box, an embedding batch) is not declared dead; a killed one is found within ~1.6 s.
 */
export const HEARTBEAT_SILENCE_MS = 4 * HEARTBEAT_INTERVAL_MS;

/** Intervals a replica honours; anything else in the header is ignored (no heartbeats, no error). */
export function parseHeartbeatInterval(value: string | undefined): number | undefined {
  if (!value || !/^\d{2,5}$/.test(value)) return undefined;
  const ms = Number(value);
  return ms >= 50 && ms <= 30_000 ? ms : undefined;
}
