// A room session's events on real NATS: every AgentEvent on agent.events.<sessionId> as JSON, one log line per
// turn, and dropped (not queued, not thrown) while NATS is unreachable.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentEventPublisher } from '../../agent-host/events.js';
import { NatsLink } from '../../lib/bus/nats-link.js';
import { type AgentEvent, agentEvent, agentEventsSubject } from '../../lib/protocol/index.js';
import { NATS_URL, testLogger } from '../helpers/env.js';

function capturingLogger(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

describe('agentEventPublisher', () => {
  let link: NatsLink;
  beforeAll(async () => {
    link = new NatsLink({ servers: NATS_URL, name: 'room-events-test', log: testLogger() });
    await link.ready();
  });
  afterAll(() => link.close());

  it('publishes every event on agent.events.<sessionId> and logs each turn as one structured line', async () => {
    const sessionId = `room-${process.pid}-${Date.now()}`;
    const nc = await link.ready();
    const sub = nc.subscribe(agentEventsSubject(sessionId), { max: 3 });
    const other = nc.subscribe(agentEventsSubject(`${sessionId}-other`), { max: 1, timeout: 500 });
    const { log, lines } = capturingLogger();
    const publish = agentEventPublisher(link, sessionId, log);
    const events: AgentEvent[] = [
      { type: 'transcript', text: 'hello there', final: true, at: 1 },
      {
        type: 'turn',
        turnId: `${sessionId}-t1`,
        stages: { endOfTurn: 410, sttFinal: 450, brainFirstDelta: 620, ttsFirstChunk: 700, firstAudio: 730 },
        at: 2,
      },
      { type: 'reply-end', text: 'Hi!', interrupted: false, at: 3 },
    ];
    for (const e of events) publish(e);
    const received: unknown[] = [];
    for await (const m of sub) received.push(agentEvent.parse(m.json()));
    expect(received).toEqual(events);

    const turnLines = lines.filter((l) => l.msg === 'turn');
    expect(turnLines).toHaveLength(1);
    expect(turnLines[0]).toMatchObject({
      turnId: `${sessionId}-t1`,
      stages: events[1]?.type === 'turn' ? events[1].stages : {},
    });
    expect(lines.filter((l) => l.msg !== 'turn')).toEqual([]);
    // Nothing leaked onto another session's subject.
    await expect(
      (async () => {
        for await (const _ of other) return 'got one';
        return 'none';
      })(),
    ).rejects.toThrow(/timeout/i);
  });

  it('drops events while NATS is not connected, says so once, and never throws into the session', () => {
    const offline = NatsLink.offline(testLogger());
    const { log, lines } = capturingLogger();
    const publish = agentEventPublisher(offline, 'room-offline', log);
    for (let i = 0; i < 5; i++) publish({ type: 'state', agent: 'listening', at: i });
    publish({ type: 'turn', turnId: 't1', stages: { endOfTurn: 400 }, at: 9 });
    expect(lines.filter((l) => String(l.msg).includes('dropped'))).toHaveLength(1);
    // The turn is still logged: logs do not depend on NATS.
    expect(lines.filter((l) => l.msg === 'turn')).toHaveLength(1);
  });
});
