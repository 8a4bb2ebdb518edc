// The memory API behind the memory page: a user's sessions, semantic search over their turns, exports.
// The user is named by the `userId` query parameter — not authentication (docs/web.md).
//   GET /api/memory/sessions?userId=&limit=
//   GET /api/memory/search?userId=&q=&k=
//   GET /api/memory/sessions/:id/export?userId=&format=json|md
import { Hono } from 'hono';
import { z } from 'zod';
import type { FunctionClient } from '../lib/bus/client.js';
import { type Queryable, searchConversations, toDbError } from '../lib/db/index.js';
import { ArcError, REQUEST_ID_PATTERN, userId as userIdSchema, validate } from '../lib/protocol/index.js';
import { errorJson } from './http-error.js';
import { listSessions, sessionTranscript, toMarkdown } from './memory-store.js';

export interface MemoryDeps {
  db?: Queryable;
  /** For embedding search queries (the `embed` function, same model as the store). */
  client?: FunctionClient;
}

const listQuery = z.object({ userId: userIdSchema, limit: z.coerce.number().int().min(1).max(200).default(50) });
const searchQuery = z.object({
  userId: userIdSchema,
  q: z.string().trim().min(1, 'must not be empty').max(500),
  k: z.coerce.number().int().min(1).max(50).default(10),
});
const exportQuery = z.object({ userId: userIdSchema, format: z.enum(['json', 'md']).default('json') });

export function memoryRoutes(deps: MemoryDeps): Hono {
  const app = new Hono();
  const db = () => {
    if (!deps.db) throw new ArcError('unavailable', 'no database here: set DATABASE_URL for the memory page');
    return deps.db;
  };

  app.get('/api/memory/sessions', async function sessions(c) {
    try {
      const q = validate(listQuery, c.req.query(), 'query');
      return c.json({ userId: q.userId, sessions: await listSessions(db(), q.userId, q.limit) });
    } catch (err) {
      return errorJson(c, dbError(err));
    }
  });

  app.get('/api/memory/search', async function search(c) {
    try {
      const q = validate(searchQuery, c.req.query(), 'query');
      if (!deps.client) throw new ArcError('unavailable', 'no embed function reachable from this gateway');
      const store = db();
      const { vectors } = await deps.client.call('embed', { texts: [q.q] }, { signal: c.req.raw.signal });
      const vector = vectors[0];
      if (!vector) throw new ArcError('protocol_error', 'embed returned no vector');
      const hits = await searchConversations(store, q.userId, vector, { k: q.k });
      return c.json({ userId: q.userId, query: q.q, results: hits });
    } catch (err) {
      return errorJson(c, dbError(err));
    }
  });

  app.get('/api/memory/sessions/:id/export', async function exportSession(c) {
    try {
      const q = validate(exportQuery, c.req.query(), 'query');
      const id = c.req.param('id');
      if (!REQUEST_ID_PATTERN.test(id)) throw new ArcError('invalid_request', 'session id is malformed');
      const t = await sessionTranscript(db(), q.userId, id);
      if (!t) throw new ArcError('not_found', `no session ${id} for this user`);
      const name = `arc-session-${id}.${q.format}`;
      const disposition = { 'Content-Disposition': `attachment; filename="${name}"` };
      if (q.format === 'md') {
        return c.body(toMarkdown(q.userId, t), 200, { 'Content-Type': 'text/markdown; charset=utf-8', ...disposition });
      }
      return c.json({ userId: q.userId, ...t }, 200, disposition);
    } catch (err) {
      return errorJson(c, dbError(err));
    }
  });

  return app;
}

/** Database failures become typed errors (a missing table before the first migration reads as unavailable). */
function dbError(err: unknown): unknown {
  if (err instanceof ArcError) return err;
  const code = (err as { code?: string }).code;
  if (code === '42P01' || code === '3F000') {
    return new ArcError('unavailable', 'the memory store is not initialised yet (the functions create it on start)');
  }
  return toDbError(err, 'memory query');
}
