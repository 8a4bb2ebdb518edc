// session.write: conversation events made durable (JetStream) and written idempotently by event id.
import { z } from 'zod';
import { unaryContract } from '../contract.js';
import { SUBJECTS } from '../subjects.js';
import { role, subjectId, userId } from './common.js';

export const SESSION_TURN_MAX_CHARS = 16_000;
/** Recordings above this travel as a `uri`, not inline (NATS max_payload is 1 MiB). */
export const RECORDING_INLINE_MAX_BASE64 = 900_000;

const isoTime = z.iso.datetime({ offset: true });
const eventBase = {
  /** Idempotency key: writing the same event twice stores it once. */
  eventId: subjectId,
  sessionId: subjectId,
};

export const sessionStartEvent = z.object({
  kind: z.literal('session-start'),
  ...eventBase,
  userId,
  roomId: z.string().min(1).max(256).optional(),
  startTime: isoTime,
});

export const turnEvent = z.object({
  kind: z.literal('turn'),
  ...eventBase,
  userId,
  role,
  text: z.string().min(1).max(SESSION_TURN_MAX_CHARS),
  /** The reply was cut off: `text` is only what was played. */
  interrupted: z.boolean().optional(),
  createdAt: isoTime,
  /**
   * The text's embedding when the sender already has it (the brain embeds each utterance to retrieve):
   * saves a second embed call. Refused with `dimension_mismatch` unless it is the store's model and dimension.
   */
  embedding: z.object({ model: z.string().min(1).max(128), vector: z.array(z.number()).min(1).max(4096) }).optional(),
});

export const sessionEndEvent = z.object({
  kind: z.literal('session-end'),
  ...eventBase,
  endTime: isoTime,
});

export const recordingEvent = z
  .object({
    kind: z.literal('recording'),
    ...eventBase,
    mime: z.string().min(1).max(128),
    /** Inline audio, base64. */
    audio: z.base64().max(RECORDING_INLINE_MAX_BASE64).optional(),
    /** Or a reference to where the audio is stored. */
    uri: z.string().min(1).max(2048).optional(),
    createdAt: isoTime,
  })
  .refine((e) => (e.audio === undefined) !== (e.uri === undefined), {
    message: 'exactly one of audio or uri is required',
  });

export const sessionWriteRequest = z.discriminatedUnion('kind', [
  sessionStartEvent,
  turnEvent,
  sessionEndEvent,
  recordingEvent,
]);
export type SessionWriteRequest = z.infer<typeof sessionWriteRequest>;
export type SessionEvent = SessionWriteRequest;

export const sessionWriteResponse = z.object({
  ok: z.literal(true),
  /** Id of the stored row (the event id for idempotent re-writes). */
  id: z.string(),
  /** Where the event is: committed to the database, or durably queued in JetStream for replay. */
  status: z.enum(['committed', 'queued']).optional(),
});
export type SessionWriteResponse = z.infer<typeof sessionWriteResponse>;

export const sessionWriteContract = unaryContract({
  name: 'session-write',
  subject: SUBJECTS['session-write'],
  description: 'persist session start / turn / end / recording events',
  request: sessionWriteRequest,
  response: sessionWriteResponse,
  timeoutMs: 10_000,
});
