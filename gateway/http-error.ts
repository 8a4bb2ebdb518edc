// One way to answer an error over HTTP: the ArcError's status and its wire body `{code, message, details?}`.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ArcError, HDR_ERROR, toArcError } from '../lib/protocol/index.js';

export function errorJson(c: Context, err: unknown): Response {
  const e: ArcError = toArcError(err);
  return c.json(e.toWire(), e.status as ContentfulStatusCode, { [HDR_ERROR]: e.code });
}
