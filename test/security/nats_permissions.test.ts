// NATS as compose deploys it (deploy/nats/nats.conf on a real nats-server): no credentials, no entry; each
// service may subscribe to its own subject only and publish only what it calls; each can still do its job.
import { connect, type NatsConnection, errors as natsErrors } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DURABLE } from '../../functions/session-write/handler.js';
import { splitCredentials } from '../../lib/bus/nats-link.js';
import { sleep } from '../../lib/util/abort.js';
import { type ConfiguredNats, type NatsRole, startConfiguredNats } from './nats-conf-server.js';

let nats: ConfiguredNats;
const open: NatsConnection[] = [];

async function as(role: NatsRole): Promise<NatsConnection> {
  const { urls, user, pass } = splitCredentials(nats.urlFor(role));
  const nc = await connect({ servers: urls, user, pass, name: `perm-${role}` });
  open.push(nc);
  return nc;
}

/** Permission violations the server reported to this connection (async `-ERR`s), collected for a while. */
function violations(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'error' && s.error instanceof natsErrors.PermissionViolationError) seen.push(s.error.message);
    }
  })();
  return seen;
}

beforeAll(async () => {
  nats = await startConfiguredNats();
}, 30_000);

afterAll(async () => {
  for (const nc of open) await nc.close().catch(() => {});
  await nats?.close();
});

describe('NATS auth (deploy/nats/nats.conf)', () => {
  it('refuses a connection without credentials, and one with a wrong password', async () => {
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 2_000 })).rejects.toThrow(/Authorization/i);
    await expect(
      connect({ servers: nats.url, user: 'brain', pass: 'not-the-password', reconnect: false, timeout: 2_000 }),
    ).rejects.toThrow(/Authorization/i);
    // Another service's password does not open this user either.
    await expect(
      connect({ servers: nats.url, user: 'brain', pass: nats.passwords.tts, reconnect: false, timeout: 2_000 }),
    ).rejects.toThrow(/Authorization/i);
  });

  it('a function may subscribe to its own subject only: tts cannot listen on brain.request', async () => {
    const tts = await as('tts');
    const errs = violations(tts);
    const sub = tts.subscribe('brain.request', { queue: 'brain' });
    const ended = sub.closed.then(
      () => 'closed',
      () => 'closed',
    );
    await tts.flush();
    await sleep(200);
    expect(errs.join('\n')).toMatch(/Permissions Violation for Subscription to "brain.request"/);
    // The client drops the refused subscription: nothing would ever arrive on it.
    expect(await Promise.race([ended, sleep(1_000).then(() => 'still open')])).toBe('closed');
  });

  it('a publish on a foreign subject is refused: never delivered, reported to the publisher', async () => {
    const brain = await as('brain');
    const embed = await as('embed');
    const tts = await as('tts');
    const errs = violations(embed);
    const received: string[] = [];
    brain.subscribe('brain.request', { callback: (_e, m) => void received.push(m.string()) });
    tts.subscribe('tts.request', { callback: (_e, m) => void received.push(m.string()) });
    await brain.flush();
    await tts.flush();
    embed.publish('brain.request', 'from embed');
    embed.publish('tts.request', 'from embed');
    embed.publish('agent.events.s1', 'forged event');
    await embed.flush();
    await sleep(300);
    expect(received).toEqual([]);
    expect(errs.join('\n')).toMatch(/Permissions Violation for Publish to "brain.request"/);
    expect(errs.join('\n')).toMatch(/Permissions Violation for Publish to "tts.request"/);
    expect(errs.join('\n')).toMatch(/Permissions Violation for Publish to "agent.events.s1"/);
  });

  it('the gateway may not write sessions; the agent host may not listen on a function subject', async () => {
    const gateway = await as('gateway');
    const host = await as('agent-host');
    const gErrs = violations(gateway);
    const hErrs = violations(host);
    gateway.publish('session.write', '{}');
    host.subscribe('embed.request');
    await gateway.flush();
    await host.flush();
    await sleep(200);
    expect(gErrs.join('\n')).toMatch(/Publish to "session.write"/);
    expect(hErrs.join('\n')).toMatch(/Subscription to "embed.request"/);
  });

  it('each service can still do its job: host → brain → embed request-reply, cancels, events to the gateway', async () => {
    const host = await as('agent-host');
    const brain = await as('brain');
    const embed = await as('embed');
    const gateway = await as('gateway');
    embed.subscribe('embed.request', { queue: 'embed', callback: (_e, m) => void m.respond(`vec(${m.string()})`) });
    brain.subscribe('brain.request', {
      queue: 'brain',
      callback: (_e, m) => {
        void brain
          .request('embed.request', m.string(), { timeout: 2_000 })
          .then((v) => m.respond(`answer with ${v.string()}`));
      },
    });
    const cancels: string[] = [];
    brain.subscribe('arc.cancel.*', { callback: (_e, m) => void cancels.push(m.subject) });
    const events: string[] = [];
    gateway.subscribe('agent.events.*', { callback: (_e, m) => void events.push(m.string()) });
    await Promise.all([embed.flush(), brain.flush(), gateway.flush()]);
    const reply = await host.request('brain.request', 'hello', { timeout: 2_000 });
    expect(reply.string()).toBe('answer with vec(hello)');
    host.publish('arc.cancel.req-1');
    host.publish('agent.events.session-1', 'turn');
    await host.flush();
    await sleep(100);
    expect(cancels).toEqual(['arc.cancel.req-1']);
    expect(events).toEqual(['turn']);
  });

  it('session-write can run its JetStream stream (create, publish, pull, ack) and nobody else can touch it', async () => {
    const { ensureStream, enqueueEvent } = await import('../../functions/session-write/durable.js');
    const sw = await as('session-write');
    const js = await ensureStream(sw, DEFAULT_DURABLE);
    await enqueueEvent(js, DEFAULT_DURABLE, {
      kind: 'session-end',
      eventId: 'perm-test-end',
      sessionId: 'perm-session',
      endTime: new Date().toISOString(),
    });
    const consumer = await js.consumers.get(DEFAULT_DURABLE.stream, DEFAULT_DURABLE.durable);
    const msg = await consumer.next({ expires: 2_000 });
    expect(msg?.json()).toMatchObject({ eventId: 'perm-test-end' });
    await msg?.ackAck();

    const brain = await as('brain');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    await expect(jetstreamManager(brain, { timeout: 1_000 }).then((m) => m.streams.info('SESSIONS'))).rejects.toThrow();
  });
});
