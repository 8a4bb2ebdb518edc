// The LiveKit worker: registers the agent under AGENT_NAME (explicit dispatch only) at LIVEKIT_URL, accepts
// the jobs LiveKit offers, and runs each in a job process that loads `agentModule`.
import { createServer } from 'node:net';
import { AgentServer, type JobRequest, ServerOptions } from '@livekit/agents';
import type { RoomModeConfig } from '../../lib/livekit/room-mode.js';
import { AGENT_NAME } from '../../lib/livekit/token.js';
import type { Logger } from '../../lib/log.js';

export interface RoomWorkerOptions {
  /** File whose default export is the agent definition (agents-js forks a process that imports it per job). */
  agentModule: string;
  livekit: RoomModeConfig;
  log: Logger;
  /** Job processes kept started and prewarmed (VAD, STT loaded), waiting for a job. */
  idleProcesses: number;
  /** How long a stopping worker lets running conversations finish before closing them. */
  drainTimeoutMs: number;
  /** How long a job process has to close its session and exit once told to, before it is killed. */
  jobCloseTimeoutMs?: number;
  /** Above this CPU load (0–1) the worker tells LiveKit it is full and gets no new jobs. */
  loadThreshold?: number;
  /** A job process must load the agent module and prewarm within this. */
  initializeTimeoutMs?: number;
  /** Log level of agents-js inside job processes. */
  logLevel?: string;
}

export const WORKER_DEFAULTS = { loadThreshold: 0.7, initializeTimeoutMs: 30_000, jobCloseTimeoutMs: 8_000 } as const;

/** Display name of the agent participant in rooms. */
export const AGENT_PARTICIPANT_NAME = 'ARC Daredevil';

export interface WorkerStatus {
  registered: boolean;
  /** Connected to LiveKit now, per agents-js's own health check. */
  connected: boolean;
  workerId?: string;
  activeJobs: number;
}

/** Identity of the agent participant in a job's room: stable per job, so logs and tokens can be matched. */
export function agentIdentity(jobId: string): string {
  return `agent-${jobId}`;
}

export class RoomWorker {
  readonly server: AgentServer;
  private workerId: string | undefined;
  private readonly healthUrl: string;
  private running: Promise<void> | undefined;

  private constructor(
    private readonly options: RoomWorkerOptions,
    healthPort: number,
  ) {
    const { livekit, log } = options;
    this.healthUrl = `http://127.0.0.1:${healthPort}/`;
    this.server = new AgentServer(
      new ServerOptions({
        agent: options.agentModule,
        agentName: AGENT_NAME,
        // serverType: JT_ROOM (the default): one job per room, not per publisher.
        wsURL: livekit.url,
        apiKey: livekit.apiKey,
        apiSecret: livekit.apiSecret,
        requestFunc: async function acceptRoomJob(req: JobRequest) {
          log.info({ jobId: req.id, room: req.room?.name, dispatch: req.job.dispatchId }, 'job offered');
          await req.accept(AGENT_PARTICIPANT_NAME, agentIdentity(req.id));
        },
        // production: false only picks agents-js's development defaults (no idle processes, no load limit,
        // a fixed health port 8081); every one of them is set here instead.
        production: false,
        numIdleProcesses: options.idleProcesses,
        loadThreshold: options.loadThreshold ?? WORKER_DEFAULTS.loadThreshold,
        initializeProcessTimeout: options.initializeTimeoutMs ?? WORKER_DEFAULTS.initializeTimeoutMs,
        drainTimeout: Math.max(1, options.drainTimeoutMs),
        shutdownProcessTimeout: options.jobCloseTimeoutMs ?? WORKER_DEFAULTS.jobCloseTimeoutMs,
        // agents-js's own health server, on loopback only: /_/ready asks it whether the worker is connected.
        host: '127.0.0.1',
        port: healthPort,
        logLevel: options.logLevel ?? 'info',
      }),
    );
    this.server.event.on('worker_registered', (workerId: string) => {
      this.workerId = workerId;
      log.info({ workerId, agentName: AGENT_NAME, url: livekit.url }, 'worker registered with LiveKit');
    });
  }

  static async create(options: RoomWorkerOptions): Promise<RoomWorker> {
    return new RoomWorker(options, await freeLoopbackPort());
  }

  /** Connects and registers in the background; the promise settles when the worker stops (or gives up). */
  start(): Promise<void> {
    this.running ??= this.server.run();
    return this.running;
  }

  async status(): Promise<WorkerStatus> {
    let connected = false;
    try {
      const res = await fetch(this.healthUrl, { signal: AbortSignal.timeout(1_000) });
      connected = res.ok;
    } catch {
      connected = false;
    }
    return {
      registered: this.workerId !== undefined,
      connected,
      workerId: this.workerId,
      activeJobs: this.server.activeJobs.length,
    };
  }

  /**
   * Stops taking jobs (LiveKit is told the worker is full), waits up to the drain timeout for running
   * conversations to end, then closes what is left. Resolves with whether everything ended on its own.
   */
  async stop(): Promise<{ drained: boolean }> {
    let drained = true;
    if (this.running) {
      try {
        await this.server.drain(Math.max(1, this.options.drainTimeoutMs));
      } catch (err) {
        drained = false;
        this.options.log.warn({ err: (err as Error).message }, 'drain timed out: closing running jobs');
      }
    }
    await this.server.close();
    await this.running?.catch(() => {});
    return { drained };
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
