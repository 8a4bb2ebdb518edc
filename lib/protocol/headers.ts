// Header names used on NATS messages and HTTP responses alike (one spelling everywhere).

/** Position of a chunk in a streamed reply: 0, 1, 2… A gap means the stream is broken. */
export const HDR_SEQ = 'Arc-Seq';
/** `1` on the message that ends a streamed reply (it carries no chunk). */
export const HDR_END = 'Arc-End';
/** Error code of a failed call; the body is a JSON `WireError`. */
export const HDR_ERROR = 'Arc-Error';
/** Sample rate of PCM chunks in a streamed audio reply. */
export const HDR_SAMPLE_RATE = 'Arc-Sample-Rate';
/** Request id when the request body does not carry one (unary calls); cancel subjects use it. */
export const HDR_REQUEST_ID = 'Arc-Request-Id';
/**
 * On the first chunk of a streamed reply: milliseconds the replica spent from receiving the request to that
 * chunk. The caller subtracts it from what it measured to see transport and queueing cost.
 */
export const HDR_HANDLER_MS = 'Arc-Handler-Ms';
/** Which replica answered (useful to see queue-group load sharing). */
export const HDR_REPLICA = 'Arc-Replica';
/**
 * Request header: the interval (ms) at which the caller wants proof of life while its request runs (NATS).
 * Reply messages carrying it with value `1` are heartbeats: no chunk, no `Arc-Seq`. See lib/bus/heartbeat.ts.
 */
export const HDR_HEARTBEAT = 'Arc-Heartbeat';
/** W3C trace context: one trace spans host → function → database. */
export const HDR_TRACEPARENT = 'traceparent';
/** JSON or binary chunks in a streamed reply. */
export const HDR_CONTENT_TYPE = 'Content-Type';

export const CONTENT_TYPE_JSON = 'application/json';
export const CONTENT_TYPE_NDJSON = 'application/x-ndjson';
export const CONTENT_TYPE_SSE = 'text/event-stream';
export const CONTENT_TYPE_BINARY = 'application/octet-stream';
