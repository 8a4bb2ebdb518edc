// LiveKit access tokens for participants: short-lived, scoped to one room, identity checked, agent dispatched.
import { AccessToken, type ClaimGrants, RoomAgentDispatch, RoomConfiguration, TokenVerifier } from 'livekit-server-sdk';
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

/** What a verified participant token grants. */
export interface VerifiedParticipantToken {
  identity: string;
  room: string;
  name?: string;
  /** Wall-clock ms after which LiveKit refuses the token. */
  expiresAt: number;
  /** Agents the token dispatches to its room when it joins (explicit dispatch). */
  dispatches: string[];
  claims: ClaimGrants;
}

/**
 * Checks a participant token the way LiveKit does before a join: signature and issuer (our API key pair),
 * expiry (no clock tolerance), a room-join grant, and optionally the room and identity it must be for.
 * A bad signature or an expired token is `unauthorized`; a valid token for another room or identity is
 * `forbidden`.
 */
export async function verifyParticipantToken(
  livekit: Config['livekit'],
  token: string,
  expected: { room?: string; identity?: string } = {},
): Promise<VerifiedParticipantToken> {
  if (!livekit.apiKey || !livekit.apiSecret) {
    throw new ArcError('unavailable', 'room mode is not configured: set LIVEKIT_API_KEY and LIVEKIT_API_SECRET');
  }
  let claims: ClaimGrants;
  try {
    claims = await new TokenVerifier(livekit.apiKey, livekit.apiSecret).verify(token, 0);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ERR_JWT_EXPIRED' ? 'token has expired' : `token rejected (${(err as Error).message})`;
    throw new ArcError('unauthorized', why, { cause: err });
  }
  const room = claims.video?.room;
  if (!claims.video?.roomJoin || !room) throw new ArcError('forbidden', 'token grants no room join');
  if (expected.room !== undefined && room !== expected.room) {
    throw new ArcError('forbidden', `token is for room "${room}", not "${expected.room}"`);
  }
  const identity = claims.sub ?? '';
  if (expected.identity !== undefined && identity !== expected.identity) {
    throw new ArcError('forbidden', `token is for identity "${identity}", not "${expected.identity}"`);
  }
  const agents = (claims.roomConfig as { agents?: { agentName?: string }[] } | undefined)?.agents ?? [];
  return {
    identity,
    room,
    name: claims.name,
    expiresAt: (claims.exp ?? 0) * 1000,
    dispatches: agents.map((a) => a.agentName ?? '').filter(Boolean),
    claims,
  };
}
