// Where a session's events go: NATS subject agent.events.<sessionId> for the UI and tools, and one log
// line per turn (the latency waterfall) for whoever reads the logs.
import type { NatsLink } from '../lib/bus/nats-link.js';
import type { Logger } from '../lib/log.js';
import { type AgentEvent, agentEventsSubject } from '../lib/protocol/index.js';

/**
 * Returns the listener for VoiceSession 'event'. Events are fire-and-forget: while NATS is down they are
 * dropped (counted and logged once per outage), never queued against the conversation.
 */
export function agentEventPublisher(nats: NatsLink, sessionId: string, log: Logger): (event: AgentEvent) => void {
  const subject = agentEventsSubject(sessionId);
  let dropped = 0;
  return function publishAgentEvent(event) {
    if (event.type === 'turn') log.info({ turnId: event.turnId, stages: event.stages }, 'turn');
    const nc = nats.connection;
    if (!nc || nc.isClosed()) {
      if (dropped++ === 0) log.warn({ subject }, 'NATS not connected: agent events are being dropped');
      return;
    }
    try {
      nc.publish(subject, JSON.stringify(event));
      if (dropped > 0) {
        log.info({ subject, dropped }, 'NATS back: agent events flowing again');
        dropped = 0;
      }
    } catch (err) {
      if (dropped++ === 0) log.warn({ subject, err: (err as Error).message }, 'agent event not published');
    }
  };
}
