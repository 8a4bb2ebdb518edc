// POST /api/token {room?, identity, name?} → a LiveKit participant token for room mode (lib/livekit/token.ts).
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import type { Config } from '../lib/config/index.js';
import { createParticipantToken, ROOM_NAME } from '../lib/livekit/token.js';
import { ArcError, decodeJson, validate } from '../lib/protocol/index.js';
import { errorJson } from './http-error.js';
import type { TokenPrincipal } from './token-auth.js';

const tokenRequest = z.object({
  /** Omitted: a new room of its own for this conversation. Checked against ROOM_NAME by the token module. */
  room: z.string().max(256).optional(),
  identity: z.string().max(256),
  name: z.string().max(128).optional(),
});

/** `auth` decides who may ask (tokenAuth: API key or hook); a principal with an identity pins the token to it. */
export function tokenRoute(
  livekit: Config['livekit'],
  auth: (req: Request) => Promise<TokenPrincipal> = async () => ({}),
): Hono {
  const app = new Hono();
  app.post('/api/token', async function token(c) {
    try {
      const principal = await auth(c.req.raw);
      const body = validate(tokenRequest, decodeJson(new Uint8Array(await c.req.arrayBuffer()), 'token request'));
      if (principal.identity !== undefined && body.identity !== principal.identity) {
        throw new ArcError('forbidden', 'identity does not match the signed-in caller', {
          details: { field: 'identity' },
        });
      }
      const room = body.room ?? `arc-${randomUUID().slice(0, 12)}`;
      // Checked here too, so a bad name is reported as such even where room mode is not configured.
      if (!ROOM_NAME.test(room)) {
        throw new ArcError('invalid_request', 'room must be 1–64 characters of A–Z, a–z, 0–9, "_" or "-"', {
          details: { field: 'room' },
        });
      }
      const t = await createParticipantToken(livekit, { room, identity: body.identity, name: body.name });
      if (!t.url) throw new ArcError('unavailable', 'room mode is not configured: set LIVEKIT_URL');
      return c.json({ token: t.token, url: t.url, room, identity: body.identity, expiresAt: t.expiresAt });
    } catch (err) {
      return errorJson(c, err);
    }
  });
  return app;
}
