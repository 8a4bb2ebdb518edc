// The address a request came from: the socket's peer, or the proxy's X-Forwarded-For when one is trusted.
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * Peer address of a request. With `trustProxy` (the gateway runs behind Traefik, as in compose), the last
 * address in X-Forwarded-For: the one the trusted proxy itself saw.
 */
export function peerAddress(req: IncomingMessage | undefined, trustProxy = false): string {
  if (trustProxy) {
    const fwd = req?.headers['x-forwarded-for'];
    const last = (Array.isArray(fwd) ? fwd.join(',') : (fwd ?? '')).split(',').at(-1)?.trim();
    if (last) return last;
  }
  const addr = req?.socket?.remoteAddress;
  if (!addr) return 'unknown';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

/** The peer address of a hono request served by @hono/node-server ("unknown" when called without a socket). */
export function clientIp(c: Context, trustProxy = false): string {
  return peerAddress((c.env as { incoming?: IncomingMessage } | undefined)?.incoming, trustProxy);
}
