// What the talk page needs from a transport, local (WebSocket) or room (LiveKit): the same events either way.
import type { AgentEvent } from '../../../lib/protocol/events.js';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'closed' | 'error';

export interface TransportHandlers {
  state(state: ConnectionState, detail?: string): void;
  ready(info: { sessionId: string }): void;
  agentEvent(event: AgentEvent): void;
  /** A problem the user must see; `fatal` ones end the call. */
  error(message: string, fatal: boolean): void;
}

export interface Transport {
  readonly mode: 'local' | 'room';
  start(): Promise<void>;
  setMuted(muted: boolean): void;
  hangup(): Promise<void>;
}

/** What a failed fetch or socket most likely means, said for a person. */
export function unreachable(): string {
  return `Cannot reach the ARC server at ${location.host}. Is it running (npm start)? Then press Talk again.`;
}
