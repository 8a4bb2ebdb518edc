// Room-mode recovery against the LiveKit PROTOCOL PEER (test/agent-host/livekit-protocol-peer.ts; no LiveKit
// server runs here): what the server sees when its connection to the worker drops, and when the agent host
// process dies mid-job and is started again (as compose's `restart: unless-stopped` or Kubernetes would).
// The host is the real process from source; its job processes, NATS and the prewarmed engines are real.
import { afterEach, describe, expect, it } from 'vitest';
import { agentIdentity } from '../../agent-host/room/worker.js';
import { AGENT_NAME } from '../../lib/livekit/token.js';
import { freePort } from '../helpers/env.js';
import { type HostProcess, startHost, until } from './host-process.js';
import type { LiveKitProtocolPeer, WorkerConnection } from './livekit-protocol-peer.js';
import { activeJobs, expectJoin, livekitEnv, offerAndAssign, type Running, startRegistered } from './room-session.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

function track(r: Running): Running {
  cleanup.push(
    () => r.peer.close(),
    () => r.host.stop(5_000),
  );
  return r;
}

/** A new worker connection to `peer` (not `old`) registers under our agent name; the host reports it ready. */
async function reRegistered(
  peer: LiveKitProtocolPeer,
  host: HostProcess,
  old: WorkerConnection,
): Promise<Omit<Running, 'peer' | 'host'>> {
  // 90 s: a host started from source while the killed one's job processes are still exiting is slow to come up under load.
  const worker = await peer.nextWorker(90_000, (w) => w !== old);
  const register = await worker.acceptRegistration();
  expect(register.agentName).toBe(AGENT_NAME);
  await until('host ready on its new registration', async () => {
    const r = await host.getJson('/_/ready');
    return r.status === 200 && r.body.workerId === worker.workerId ? true : undefined;
  });
  return { worker, register };
}

describe('room-mode recovery (LiveKit protocol peer, not a LiveKit server)', () => {
  it('the server drops the worker connection: the worker reconnects, registers again and takes the next job', async () => {
    const r = track(await startRegistered('source', 'hold'));
    const firstWorker = r.worker.workerId;
    // As a LiveKit server restarting: the worker's socket is cut without a close handshake.
    r.worker.socket.terminate();
    await r.worker.closed;
    const again = await reRegistered(r.peer, r.host, r.worker);
    expect(again.worker.workerId).not.toBe(firstWorker);

    const room = `room-reconnect-${process.pid}`;
    const next = { ...r, ...again };
    const { job, token } = await offerAndAssign(next, room);
    await expectJoin(next, token, room, agentIdentity(job.id));
    expect(await activeJobs(r.host)).toBe(1);
  }, 120_000);

  it('the host process dies mid-job: a restarted host registers and the room is dispatched to it again', async () => {
    const r = track(await startRegistered('source', 'hold'));
    const room = `room-crash-${process.pid}`;
    const first = await offerAndAssign(r, room);
    await expectJoin(r, first.token, room, agentIdentity(first.job.id));

    r.host.proc.kill('SIGKILL');
    expect((await r.host.exited).signal).toBe('SIGKILL');
    // The server sees the worker gone (its socket closed) and the agent's participant leave the room.
    await r.worker.closed;

    // Restarted by its supervisor, with the same settings: it registers again and LiveKit re-dispatches the room.
    const host = startHost('source', livekitEnv(r.peer.url), await freePort());
    cleanup.push(() => host.stop(5_000));
    const again = await reRegistered(r.peer, host, r.worker);
    const next = { ...r, host, ...again };
    const second = await offerAndAssign(next, room);
    await expectJoin(next, second.token, room, agentIdentity(second.job.id));
    expect(await activeJobs(host)).toBe(1);
  }, 200_000);
});
