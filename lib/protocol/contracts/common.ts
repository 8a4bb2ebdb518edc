// Field schemas reused by several contracts.
import { z } from 'zod';
import { REQUEST_ID_PATTERN } from '../subjects.js';

/** Ids that may end up in a NATS subject (`arc.cancel.<id>`, `agent.events.<id>`). */
export const subjectId = z.string().regex(REQUEST_ID_PATTERN, 'must be 1–128 characters of A–Z, a–z, 0–9, "_" or "-"');

/** A user id comes from a participant identity: any printable text, bounded. */
export const userId = z
  .string()
  .min(1, 'must not be empty')
  .max(256)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

/** Text that must say something: not empty and not only whitespace. */
export function spokenText(maxChars: number) {
  return z
    .string()
    .max(maxChars, `must be at most ${maxChars} characters`)
    .refine((s) => s.trim().length > 0, 'must not be empty');
}

export const role = z.enum(['user', 'assistant']);
export type Role = z.infer<typeof role>;
