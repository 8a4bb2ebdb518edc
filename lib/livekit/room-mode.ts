// Whether this process can talk to a LiveKit server: the URL and the API key pair, all three or nothing.
import type { Config } from '../config/index.js';
import { ArcError } from '../protocol/index.js';

export interface RoomModeConfig {
  /** LiveKit server URL (`ws(s)://` or `http(s)://`), where workers register and participants join. */
  url: string;
  apiKey: string;
  apiSecret: string;
}

const VARIABLES = { url: 'LIVEKIT_URL', apiKey: 'LIVEKIT_API_KEY', apiSecret: 'LIVEKIT_API_SECRET' } as const;

/** The variables room mode still lacks (empty when it is configured). */
export function missingRoomModeVariables(livekit: Config['livekit']): string[] {
  return (Object.keys(VARIABLES) as (keyof typeof VARIABLES)[]).filter((k) => !livekit[k]).map((k) => VARIABLES[k]);
}

/** The LiveKit settings, or an `unavailable` error naming every missing variable. */
export function roomModeConfig(livekit: Config['livekit']): RoomModeConfig {
  const missing = missingRoomModeVariables(livekit);
  if (missing.length > 0) {
    throw new ArcError('unavailable', `room mode is not configured: set ${missing.join(', ')}`, {
      details: { missing },
    });
  }
  return livekit as RoomModeConfig;
}
