// session-write with the database stopped: events are accepted into JetStream, and after the database comes back
// every one is in the database exactly once; replaying them changes nothing.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySessionEvent } from '../../functions/session-write/apply.js';
import {
  countRecordings,
  type EmbeddedDatabase,
  getSession,
  openDatabase,
  startEmbeddedDatabase,
} from '../../lib/db/index.js';
import { embeddingSpecFromConfig } from '../../lib/engines/embedding/index.js';
import type { SessionEvent } from '../../lib/protocol/index.js';
import { testLogger } from '../helpers/env.js';
import { freshDataDir } from './helpers/db.js';
import { type BrainStack, startBrainStack } from './helpers/stack.js';

const log = testLogger('outage');
let dataDir: string;
let db: EmbeddedDatabase;
let stack: BrainStack;

const sessionId = `outage-${randomUUID().slice(0, 8)}`;
const userId = 'user-outage';
const t0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const at = (i: number) => new Date(t0 + i * 1_000).toISOString();
/** 1 session-start, 98 turns, 1 recording = 100 events. */
const events: SessionEvent[] = [
  { kind: 'session-start', eventId: `${sessionId}-start`, sessionId, userId, roomId: 'room-1', startTime: at(0) },
  ...Array.from(
    { length: 98 },
    (_, i): SessionEvent => ({
      kind: 'turn',
      eventId: `${sessionId}-turn-${i}`,
      sessionId,
      userId,
      role: i % 2 === 0 ? 'user' : 'assistant',
      text: `Turn number ${i} of a conversation that happened while the database was down.`,
      createdAt: at(i + 1),
    }),
  ),
  {
    kind: 'recording',
    eventId: `${sessionId}-rec`,
    sessionId,
    mime: 'audio/wav',
    uri: 'file:///tmp/rec.wav',
    createdAt: at(200),
  },
];

beforeAll(async () => {
  dataDir = await freshDataDir();
  db = await startEmbeddedDatabase({ dataDir, log });
  stack = await startBrainStack({ databaseUrl: db.url, sessionWrite: true });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('session-write survives a database outage', () => {
  it('accepts 100 events while the database is stopped, and stores each exactly once after it restarts', async () => {
    const port = db.port;
    await db.close();
    const replies = await Promise.all(events.map((e) => stack.client.call('session-write', e)));
    expect(replies.every((r) => r.ok && r.status === 'queued')).toBe(true);
    expect(new Set(replies.map((r) => r.id)).size).toBe(100);

    await new Promise((r) => setTimeout(r, 500)); // the writer is holding events, retrying
    db = await startEmbeddedDatabase({ dataDir, port, log });
    const reader = await openDatabase({
      config: stack.config,
      log,
      spec: embeddingSpecFromConfig(stack.config),
    });
    try {
      const until = Date.now() + 20_000;
      let n = 0;
      while (Date.now() < until) {
        n = (
          await reader.pool.query('SELECT count(*)::int AS n FROM agents.conversations WHERE session_id = $1', [
            sessionId,
          ])
        ).rows[0].n;
        if (n === 98 && (await countRecordings(reader.pool, sessionId)) === 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(n).toBe(98);
      const ids = await reader.pool.query(
        'SELECT id FROM agents.conversations WHERE session_id = $1 ORDER BY created_at',
        [sessionId],
      );
      expect(ids.rows.map((r) => r.id)).toEqual(events.filter((e) => e.kind === 'turn').map((e) => e.eventId));
      const session = await getSession(reader.pool, sessionId);
      expect(session).toMatchObject({ userId, roomId: 'room-1', startTime: at(0), turnCount: 98 });
      expect(await countRecordings(reader.pool, sessionId)).toBe(1);

      // Replaying every event (as JetStream would after a crash between commit and ack) stores nothing twice.
      const embedOne = async (text: string) => {
        const r = await stack.client.call('embed', { texts: [text] });
        return { model: r.model, vector: r.vectors[0] as number[] };
      };
      const again = [];
      for (const e of events) again.push(await applySessionEvent(reader, e, embedOne));
      expect(
        again.filter((r) => r.written && events.find((e) => e.eventId === r.id)?.kind !== 'session-start'),
      ).toEqual([]);
      expect(
        (
          await reader.pool.query('SELECT count(*)::int AS n FROM agents.conversations WHERE session_id = $1', [
            sessionId,
          ])
        ).rows[0].n,
      ).toBe(98);
      expect((await getSession(reader.pool, sessionId))?.turnCount).toBe(98);
      expect(await countRecordings(reader.pool, sessionId)).toBe(1);
    } finally {
      await reader.close();
    }
  }, 45_000);

  it('with the database up, an event is acked only after its commit: the stream is left empty', async () => {
    const e: SessionEvent = { kind: 'session-end', eventId: `${sessionId}-end`, sessionId, endTime: at(300) };
    expect(await stack.client.call('session-write', e)).toMatchObject({ ok: true, status: 'queued' });
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const jsm = await jetstreamManager(stack.link.connection as never);
    const reader = await openDatabase({ config: stack.config, log, spec: embeddingSpecFromConfig(stack.config) });
    try {
      const until = Date.now() + 5_000;
      while (Date.now() < until && !(await getSession(reader.pool, sessionId))?.endTime) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await getSession(reader.pool, sessionId)).toMatchObject({ endTime: at(300), durationSeconds: 300 });
      await new Promise((r) => setTimeout(r, 100));
      expect((await jsm.streams.info(stack.durable.stream)).state.messages).toBe(0);
    } finally {
      await reader.close();
    }
  });
});
