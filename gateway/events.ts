// GET /api/events/:sessionId — Server-Sent Events bridging NATS `agent.events.<sessionId>` to the browser,
// so room mode (the agent host publishes there) shows the same transcript and waterfall as local mode.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { NatsLink } from '../lib/bus/nats-link.js';
import type { Logger } from '../lib/log.js';
import { ArcError, agentEventsSubject, REQUEST_ID_PATTERN } from '../lib/protocol/index.js';
import { errorJson } from './http-error.js';

/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export function eventsRoute(nats: NatsLink | undefined, log: Logger, maxStreams = 64): Hono {
  const app = new Hono();
  let open = 0;
  app.get('/api/events/:sessionId', function agentEvents(c) {
    const sessionId = c.req.param('sessionId');
    // The id becomes a subject token: no dots or wildcards, or one client could listen to every session.
    if (!REQUEST_ID_PATTERN.test(sessionId)) {
      return errorJson(
        c,
        new ArcError('invalid_request', 'sessionId must be 1–128 characters of A–Z, a–z, 0–9, _ or -'),
      );
    }
    const nc = nats?.connected ? nats.connection : undefined;
    if (!nc) return errorJson(c, new ArcError('unavailable', 'the event bus (NATS) is not connected'));
    if (open >= maxStreams) return errorJson(c, new ArcError('busy', `too many event streams open (${maxStreams})`));
    open++;
    return streamSSE(c, async (stream) => {
      const sub = nc.subscribe(agentEventsSubject(sessionId));
      const keepalive = setInterval(() => void stream.write(': keepalive\n\n').catch(() => {}), KEEPALIVE_MS);
      stream.onAbort(() => sub.unsubscribe());
      try {
        await stream.writeSSE({ event: 'open', data: JSON.stringify({ sessionId }) });
        for await (const m of sub) {
          // Forwarded as published (JSON AgentEvent); the client validates with the same schema.
          await stream.writeSSE({ event: 'agent', data: m.string() });
        }
      } catch (err) {
        log.debug({ err: (err as Error).message, sessionId }, 'event stream ended');
      } finally {
        clearInterval(keepalive);
        sub.unsubscribe();
        open--;
      }
    });
  });
  return app;
}
