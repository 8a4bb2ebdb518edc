// Driving the agent host against the LiveKit protocol peer (test/agent-host/livekit-protocol-peer.ts — a PROTOCOL
// PEER, not a LiveKit server): start a host registered with it, offer and assign jobs, check the joins.
import { JobType } from '@livekit/protocol';
import { expect } from 'vitest';
import { agentIdentity } from '../../agent-host/room/worker.js';
import { AGENT_NAME } from '../../lib/livekit/token.js';
import { freePort } from '../helpers/env.js';
import { type HostMode, type HostProcess, startHost, until } from './host-process.js';
import { AGENT_NAME_ATTRIBUTE, LiveKitProtocolPeer, type WorkerConnection } from './livekit-protocol-peer.js';

export const API_KEY = 'APIprotocolpeer';
export const API_SECRET = 'protocol-peer-secret-of-32-characters';
export const livekitEnv = (url: string) => ({
  LIVEKIT_URL: url,
  LIVEKIT_API_KEY: API_KEY,
  LIVEKIT_API_SECRET: API_SECRET,
});

export interface Running {
  peer: LiveKitProtocolPeer;
  host: HostProcess;
  worker: WorkerConnection;
  register: Awaited<ReturnType<WorkerConnection['acceptRegistration']>>;
}

export async function startRegistered(
  mode: HostMode,
  rtc: 'hold' | 'close',
  extraEnv: Record<string, string> = {},
): Promise<Running> {
  const peer = await LiveKitProtocolPeer.start({ apiKey: API_KEY, apiSecret: API_SECRET, rtc });
  const host = startHost(mode, { ...livekitEnv(peer.url), ...extraEnv }, await freePort());
  const worker = await peer.nextWorker(45_000);

  // The worker authenticated like an agents SDK must: our API key as issuer, signed with the secret, agent grant.
  expect(worker.claims.iss).toBe(API_KEY);
  expect(worker.claims.video?.agent).toBe(true);
  // Connected but not yet registered: alive, not ready.
  expect((await host.getJson('/_/health')).status).toBe(200);
  const before = await host.getJson('/_/ready');
  expect([before.status, before.body.ready]).toEqual([503, false]);

  const register = await worker.acceptRegistration();
  expect(register.agentName).toBe(AGENT_NAME);
  expect(register.type).toBe(JobType.JT_ROOM);
  expect(register.allowedPermissions).toMatchObject({
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    hidden: false,
    agent: true,
  });
  const ready = await until('host ready after registration', async () => {
    const r = await host.getJson('/_/ready');
    return r.status === 200 ? r.body : undefined;
  });
  expect(ready).toMatchObject({ ready: true, workerId: worker.workerId, agentName: AGENT_NAME, activeJobs: 0 });
  return { peer, host, worker, register };
}

/** Offers a job for `room`, checks the availability answer, assigns it; returns the job and the token sent. */
export async function offerAndAssign(r: Running, room: string, extra: { dispatchId?: string; metadata?: string } = {}) {
  const job = r.worker.makeJob(room, extra);
  const availability = await r.worker.offer(job);
  expect(availability.available).toBe(true);
  expect(availability.participantIdentity).toBe(agentIdentity(job.id));
  expect(availability.participantName).toBe('ARC Daredevil');
  expect(availability.participantAttributes).toMatchObject({ 'lk.agent.name': AGENT_NAME });
  const token = await r.worker.assign(job, availability, r.register);
  return { job, availability, token };
}

/** The job process presented `token` on the signalling URL; it grants room `room` to the agent identity. */
export async function expectJoin(r: Running, token: string, room: string, identity: string) {
  const join = await r.peer.nextJoin((j) => j.token === token, 45_000);
  expect(join.path).toMatch(/^\/rtc(\/v1)?$/);
  expect(join.error).toBeUndefined();
  expect(join.claims?.video).toMatchObject({ roomJoin: true, room, agent: true });
  expect(join.claims?.sub).toBe(identity);
  expect(join.claims?.kind).toBe('agent');
  expect(join.claims?.attributes).toMatchObject({ [AGENT_NAME_ATTRIBUTE]: AGENT_NAME });
  // Every join the host attempted was into that room (none with some other token or room).
  for (const j of r.peer.joins.items) expect(j.claims?.video?.room).toBe(room);
  return join;
}

export async function activeJobs(host: HostProcess): Promise<number> {
  return (await host.getJson('/_/ready')).body.activeJobs as number;
}
