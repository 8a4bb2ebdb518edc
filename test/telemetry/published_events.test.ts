// The room-mode host's metrics come from what its job processes publish on agent.events.* (real NATS).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPublishedEvents } from '../../agent-host/tracing.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { agentEventsSubject } from '../../lib/protocol/index.js';
import { sessionErrors, sessionsTotal, turnStageSeconds } from '../../lib/telemetry/metrics.js';
import { sleep } from '../../lib/util/abort.js';
import { NATS_URL, testLogger } from '../helpers/env.js';

let link: NatsLink;
let stop: () => void;

beforeAll(async () => {
  link = new NatsLink({ servers: NATS_URL, name: 'published-events-test', log: testLogger('events') });
  await link.ready();
  // A queue group of its own: a host another test runs on the same NATS must not take these events.
  stop = countPublishedEvents(link, testLogger('events'), `test-metrics-${randomUUID().slice(0, 8)}`);
  await link.connection?.flush();
});

afterAll(async () => {
  stop?.();
  await link?.close();
});

const count = async (stage: string) =>
  (await turnStageSeconds.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.stage === stage)
    ?.value ?? 0;

describe('countPublishedEvents', () => {
  it('counts turns, session starts and errors published by sessions elsewhere; ignores deltas and junk', async () => {
    const before = { e2e: await count('first_audio'), stt: await count('stt_final') };
    const sessions = (await sessionsTotal.get()).values[0]?.value ?? 0;
    const nc = link.connection;
    if (!nc) throw new Error('no NATS');
    const subject = agentEventsSubject(`s-${randomUUID().slice(0, 8)}`);
    const at = Date.now();
    nc.publish(subject, JSON.stringify({ type: 'session', state: 'started', sessionId: 's', userId: 'u', at }));
    nc.publish(subject, JSON.stringify({ type: 'reply', requestId: 'r', delta: 'hi', at }));
    nc.publish(
      subject,
      JSON.stringify({ type: 'turn', turnId: 't1', stages: { endOfTurn: 200, firstAudio: 640 }, at }),
    );
    nc.publish(subject, JSON.stringify({ type: 'error', code: 'first_chunk_timeout', message: 'slow', at }));
    nc.publish(subject, '{"type":"turn", not json');
    nc.publish(subject, JSON.stringify({ type: 'turn', turnId: 't2', stages: { firstAudio: 'fast' }, at }));
    await nc.flush();
    for (let i = 0; i < 50 && (await count('first_audio')) === before.e2e; i++) await sleep(20);
    expect(await count('first_audio')).toBe(before.e2e + 1);
    expect(await count('stt_final')).toBe(before.stt);
    expect((await sessionsTotal.get()).values[0]?.value).toBe(sessions + 1);
    const errors = (await sessionErrors.get()).values.find((v) => v.labels.code === 'first_chunk_timeout');
    expect(errors?.value).toBe(1);
  });
});
