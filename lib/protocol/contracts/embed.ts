// embed.request: texts in, normalised vectors out.
import { z } from 'zod';
import { unaryContract } from '../contract.js';
import { SUBJECTS } from '../subjects.js';

export const EMBED_MAX_TEXTS = 64;
export const EMBED_MAX_TEXT_CHARS = 8_000;

export const embedRequest = z.object({
  texts: z
    .array(z.string().max(EMBED_MAX_TEXT_CHARS, `must be at most ${EMBED_MAX_TEXT_CHARS} characters`))
    .min(1, 'must hold at least one text')
    .max(EMBED_MAX_TEXTS, `must hold at most ${EMBED_MAX_TEXTS} texts`),
});
export type EmbedRequest = z.infer<typeof embedRequest>;

export const embedResponse = z.object({
  /** Model id; the store refuses vectors of a model other than the one it was built with. */
  model: z.string(),
  dim: z.number().int().positive(),
  vectors: z.array(z.array(z.number())),
});
export type EmbedResponse = z.infer<typeof embedResponse>;

export const embedContract = unaryContract({
  name: 'embed',
  subject: SUBJECTS.embed,
  description: 'embed texts as unit vectors',
  request: embedRequest,
  response: embedResponse,
  timeoutMs: 10_000,
});
