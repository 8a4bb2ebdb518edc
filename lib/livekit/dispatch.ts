// Explicit agent dispatch through LiveKit's AgentDispatchService: send the agent to a room without a token.
import { AgentDispatchClient } from 'livekit-server-sdk';
import type { Config } from '../config/index.js';
import { ArcError, type ErrorCode } from '../protocol/index.js';
import { roomModeConfig } from './room-mode.js';
import { AGENT_NAME, ROOM_NAME } from './token.js';

export interface AgentDispatchInfo {
  /** Dispatch id (`AD_…`), for deleting it. */
  id: string;
  room: string;
  agentName: string;
  metadata: string;
}

export interface DispatchOptions {
  /** Delivered to the job as `ctx.job.metadata`. */
  metadata?: string;
  /** Seconds before the request gives up (default 10). */
  timeoutSeconds?: number;
}

/**
 * Asks LiveKit to dispatch the agent to `room` now (the room is created if needed). Tokens made by
 * `createParticipantToken` already dispatch on join; this is for rooms joined some other way (SIP, egress, a
 * token without `roomConfig`).
 */
export async function dispatchAgent(
  livekit: Config['livekit'],
  room: string,
  options: DispatchOptions = {},
): Promise<AgentDispatchInfo> {
  const client = dispatchClient(livekit, room, options.timeoutSeconds);
  try {
    const d = await client.createDispatch(room, AGENT_NAME, { metadata: options.metadata });
    return { id: d.id, room: d.room, agentName: d.agentName, metadata: d.metadata };
  } catch (err) {
    throw translate(err, `dispatching ${AGENT_NAME} to room "${room}"`);
  }
}

/** The dispatches of one room (explicit ones, and those made by participant tokens). */
export async function listAgentDispatches(
  livekit: Config['livekit'],
  room: string,
  options: Pick<DispatchOptions, 'timeoutSeconds'> = {},
): Promise<AgentDispatchInfo[]> {
  const client = dispatchClient(livekit, room, options.timeoutSeconds);
  try {
    const list = await client.listDispatch(room);
    return list.map((d) => ({ id: d.id, room: d.room, agentName: d.agentName, metadata: d.metadata }));
  } catch (err) {
    throw translate(err, `listing the dispatches of room "${room}"`);
  }
}

function dispatchClient(livekit: Config['livekit'], room: string, timeoutSeconds = 10): AgentDispatchClient {
  const { url, apiKey, apiSecret } = roomModeConfig(livekit);
  if (!ROOM_NAME.test(room)) {
    throw new ArcError('invalid_request', 'room must be 1–64 characters of A–Z, a–z, 0–9, "_" or "-"', {
      details: { field: 'room' },
    });
  }
  // Only LiveKit Cloud hosts have regions to fail over to; a self-hosted server is the one URL.
  return new AgentDispatchClient(url, apiKey, apiSecret, { requestTimeout: timeoutSeconds, failover: false });
}

/** Twirp errors carry the HTTP status; anything without one never reached the server. */
function translate(err: unknown, doing: string): ArcError {
  const status = (err as { status?: number }).status;
  const code: ErrorCode =
    status === undefined
      ? 'unavailable'
      : status === 401
        ? 'unauthorized'
        : status === 403
          ? 'forbidden'
          : status === 404
            ? 'not_found'
            : 'upstream';
  return new ArcError(code, `${doing} failed: ${(err as Error).message}`, { cause: err });
}
