// LiveKit access tokens for participants: short-lived, scoped to one room, identity checked, agent dispatched.
import { AccessToken, RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';
import type { Config } from '../config/index.js';
import { ArcError } from '../protocol/index.js';

/** Room names and identities become LiveKit keys and log fields: keep them plain and bounded. */
export const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const IDENTITY = /^[A-Za-z0-9_.@+-]{1,128}$/;
/** Default token lifetime: long enough to join, short enough that a leaked token is soon useless. */
export const DEFAULT_TOKEN_TTL_SECONDS = 600;
export const MAX_TOKEN_TTL_SECONDS = 3600;
/** Name the agent worker registers under; tokens dispatch it explicitly to the room. */
export const AGENT_NAME = 'arc-daredevil';

export interface ParticipantTokenRequest {
  identity: string;
  room: string;
  name?: string;
  ttlSeconds?: number;
  /** Dispatch the agent to the room when this participant joins (default true). */
  dispatchAgent?: boolean;
}

/** Signs a token that lets one identity join one room (publish mic, subscribe, data). */
export async function createParticipantToken(
  livekit: Config['livekit'],
  req: ParticipantTokenRequest,
): Promise<{ token: string; url?: string; expiresAt: number }> {
  if (!livekit.apiKey || !livekit.apiSecret) {
    throw new ArcError('unavailable', 'room mode is not configured: set LIVEKIT_API_KEY and LIVEKIT_API_SECRET');
  }
  if (!ROOM_NAME.test(req.room)) {
    throw new ArcError('invalid_request', 'room must be 1–64 characters of A–Z, a–z, 0–9, "_" or "-"', {
      details: { field: 'room' },
    });
  }
  if (!IDENTITY.test(req.identity)) {
    throw new ArcError('invalid_request', 'identity must be 1–128 characters of letters, digits and _ . @ + -', {
      details: { field: 'identity' },
    });
  }
  const ttl = req.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 10 || ttl > MAX_TOKEN_TTL_SECONDS) {
    throw new ArcError('invalid_request', `ttlSeconds must be an integer between 10 and ${MAX_TOKEN_TTL_SECONDS}`);
  }
  const at = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity: req.identity, name: req.name, ttl });
  at.addGrant({ room: req.room, roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true });
  if (req.dispatchAgent !== false) {
    at.roomConfig = new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: AGENT_NAME })] });
  }
  return { token: await at.toJwt(), url: livekit.url, expiresAt: Date.now() + ttl * 1000 };
}
