// Room mode against LiveKit's real agent worker protocol — spoken by a PROTOCOL PEER (test/agent-host/
// livekit-protocol-peer.ts), not a LiveKit server: no LiveKit server runs on this machine. The agent host runs as
// its own process, from source (tsx) and from the bundle through the image's entry, with its job processes forked
// by agents-js. The peer is the only stand-in; NATS and the speech engines the job processes prewarm are real.
//
// What this proves: registration (agent name, job type, permissions, JWT), the availability answer, that the job
// process joins the assigned room with the token it was given, termination, drain on SIGTERM, explicit dispatch.
// What it cannot: anything after the join — the peer has no SFU, so no audio flows (see docs/agent-host.md).
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { WorkerStatus } from '@livekit/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentIdentity } from '../../agent-host/room/worker.js';
import { dispatchAgent, listAgentDispatches } from '../../lib/livekit/dispatch.js';
import { AGENT_NAME, createParticipantToken, verifyParticipantToken } from '../../lib/livekit/token.js';
import { BUNDLE, ROOT, until } from './host-process.js';
import {
  API_KEY,
  API_SECRET,
  activeJobs,
  expectJoin,
  offerAndAssign,
  type Running,
  startRegistered,
} from './room-session.js';

/** The bundle under test: `npm run build`'s dist/agent-host.js, copied so a concurrent build cannot rewrite it. */
const bundleCopy = BUNDLE.replace(/\.js$/, `.test-${process.pid}.js`);

beforeAll(() => {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: ROOT, stdio: 'pipe' });
  copyFileSync(BUNDLE, bundleCopy);
  copyFileSync(`${BUNDLE}.map`, `${bundleCopy}.map`);
}, 60_000);

afterAll(() => {
  rmSync(bundleCopy, { force: true });
  rmSync(`${bundleCopy}.map`, { force: true });
});

/**
 * SIGTERM: the worker tells LiveKit it is full, closes the connection, and the process exits 0. Waits first for
 * the pool's replacement job process to finish prewarming: agents-js cannot stop a process mid-prewarm, it
 * waits out the close timeout and kills it, which would only make this test slow.
 */
async function expectDrain(r: Running): Promise<void> {
  await until('replacement job process prewarmed', async () =>
    r.host.logs.filter((l) => l.msg === 'job process prewarmed').length >= 2 ? true : undefined,
  );
  r.host.proc.kill('SIGTERM');
  const full = await r.worker.next('updateWorker', (u) => u.status === WorkerStatus.WS_FULL, 15_000);
  expect(full.status).toBe(WorkerStatus.WS_FULL);
  await r.worker.closed;
  expect(await r.host.exited).toEqual({ code: 0, signal: null });
  expect(r.host.logs.find((l) => l.msg === 'stopped')).toMatchObject({ drained: true });
}

describe('room mode against a LiveKit protocol peer (not a LiveKit server; no media)', () => {
  it('from source: registers, accepts a job, joins room R with the assigned token, ends it on termination, drains on SIGTERM', async () => {
    const r = await startRegistered('source', 'hold');
    try {
      const room = `room-src-${process.pid}`;
      const { job, token } = await offerAndAssign(r, room);
      const join = await expectJoin(r, token, room, agentIdentity(job.id));
      expect(await activeJobs(r.host)).toBe(1);
      // The worker reports its load and status to the server while it runs.
      const update = await r.worker.next('updateWorker', () => true, 10_000);
      expect(update.load).toBeGreaterThanOrEqual(0);
      expect([WorkerStatus.WS_AVAILABLE, WorkerStatus.WS_FULL]).toContain(update.status);

      // The server ends the job: the job process lets go of the room and exits; the worker stays registered.
      r.worker.terminate(job.id);
      await until(
        'job ended after termination',
        async () => ((await activeJobs(r.host)) === 0 ? true : undefined),
        25_000,
      );
      await join.closed;
      expect((await r.host.getJson('/_/ready')).status).toBe(200);

      await expectDrain(r);
    } finally {
      await r.host.stop();
      await r.peer.close();
    }
  }, 90_000);

  it('from the bundle through the image entry: explicit dispatch, a job whose join is refused ends alone, drains on SIGTERM', async () => {
    const r = await startRegistered('bundle', 'close', { ARC_BUNDLE: bundleCopy });
    try {
      const room = `room-bundle-${process.pid}`;
      const livekit = { url: r.peer.url, apiKey: API_KEY, apiSecret: API_SECRET };
      // A participant token dispatches the agent name this worker registered under.
      const participant = await createParticipantToken(livekit, { identity: 'user-1', room });
      expect((await verifyParticipantToken(livekit, participant.token, { room })).dispatches).toEqual([
        r.register.agentName,
      ]);
      // Explicit dispatch through AgentDispatchService: the peer (as the server) offers that dispatch as a job.
      const dispatch = await dispatchAgent(livekit, room, { metadata: '{"reason":"test"}' });
      expect(dispatch).toMatchObject({ room, agentName: AGENT_NAME, metadata: '{"reason":"test"}' });
      expect(r.peer.apiCalls.at(-1)?.claims?.video).toMatchObject({ roomAdmin: true, room });
      expect(await listAgentDispatches(livekit, room)).toEqual([dispatch]);

      const { job, token } = await offerAndAssign(r, room, { dispatchId: dispatch.id, metadata: dispatch.metadata });
      await expectJoin(r, token, room, agentIdentity(job.id));
      // No SFU answers the join: the job fails on its own, the host stays registered and ready.
      await until('refused job ended', async () => ((await activeJobs(r.host)) === 0 ? true : undefined), 25_000);
      expect((await r.host.getJson('/_/ready')).body).toMatchObject({ ready: true, workerId: r.worker.workerId });

      await expectDrain(r);
    } finally {
      await r.host.stop();
      await r.peer.close();
    }
  }, 90_000);

  it('without LiveKit settings, the host (source and bundle) exits 78 naming the missing variables', async () => {
    for (const args of [['--import', 'tsx', 'agent-host/main.ts'], [bundleCopy]]) {
      let status: number | null = null;
      let stderr = '';
      try {
        execFileSync(process.execPath, args, {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', LIVEKIT_URL: 'ws://127.0.0.1:1' },
          stdio: 'pipe',
          timeout: 20_000,
        });
      } catch (err) {
        status = (err as { status: number | null }).status;
        stderr = String((err as { stderr: Buffer }).stderr);
      }
      expect(status, args.join(' ')).toBe(78);
      expect(stderr).toContain('room mode is not configured: set LIVEKIT_API_KEY, LIVEKIT_API_SECRET');
    }
  }, 45_000);
});
