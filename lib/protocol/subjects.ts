// NATS subjects and function names: the only place they are spelled.

/** The serverless functions of the system, by name (folder under functions/, stack.yml key, URL segment). */
export const FUNCTION_NAMES = ['brain', 'tts', 'embed', 'session-write'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export const SUBJECTS = {
  brain: 'brain.request',
  tts: 'tts.request',
  embed: 'embed.request',
  'session-write': 'session.write',
} as const satisfies Record<FunctionName, string>;

/** Published (empty body) to stop generation or synthesis of one request, e.g. on barge-in. */
export function cancelSubject(requestId: string): string {
  return `arc.cancel.${requestId}`;
}
/** Every replica listens here; the one running the request aborts it. */
export const CANCEL_WILDCARD = 'arc.cancel.*';

/** Turns, metrics and state of one conversation, published by the agent host. */
export function agentEventsSubject(sessionId: string): string {
  return `agent.events.${sessionId}`;
}

/** JetStream stream that makes session writes durable. */
export const SESSIONS_STREAM = 'SESSIONS';

/** Request ids become subject tokens, so they must not contain separators or wildcards. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
