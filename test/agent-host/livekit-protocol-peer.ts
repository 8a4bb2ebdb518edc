// A LiveKit PROTOCOL PEER for tests — not a LiveKit server (none runs on this machine). It plays the server
// side of the protocols the agent host speaks, the way livekit-server does (pkg/agent/worker.go,
// pkg/service/agentservice.go, protocol/agent/token.go):
//
// - the agent worker protocol: a WebSocket at `/agent` authenticated by a JWT (issuer = API key, HS256 with the
//   secret, `video.agent` grant) in `Authorization: Bearer`; protobuf `WorkerMessage` in, `ServerMessage` out:
//   register → RegisterWorkerResponse, AvailabilityRequest → AvailabilityResponse, JobAssignment with an agent
//   token built like the server's BuildAgentToken, JobTermination; pings answered with pongs;
// - the room signalling URL (`/rtc`, `/rtc/v1`): it verifies and records the access token a participant presents,
//   then either holds the WebSocket without ever answering the join or closes it — there is no SFU, so no media;
// - the AgentDispatchService Twirp API (`/twirp/livekit.AgentDispatchService/…`, JSON), recording dispatches.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  AgentDispatch,
  AvailabilityRequest,
  type AvailabilityResponse,
  CreateAgentDispatchRequest,
  Job,
  JobAssignment,
  JobState,
  JobStatus,
  JobTermination,
  JobType,
  ListAgentDispatchRequest,
  ListAgentDispatchResponse,
  RegisterWorkerResponse,
  Room as RoomInfo,
  ServerInfo,
  ServerInfo_Edition,
  ServerMessage,
  WorkerMessage,
  WorkerPong,
} from '@livekit/protocol';
import { AccessToken, type ClaimGrants, TokenVerifier } from 'livekit-server-sdk';
import { type WebSocket, WebSocketServer } from 'ws';

/** The attribute livekit-server stamps on agent participants (AgentNameAttributeKey). */
export const AGENT_NAME_ATTRIBUTE = 'lk.agent_name';

type WorkerCase = NonNullable<WorkerMessage['message']['case']>;
type WorkerValue<C extends WorkerCase> = Extract<WorkerMessage['message'], { case: C }>['value'];

export interface PeerOptions {
  apiKey: string;
  apiSecret: string;
  /** What `/rtc` does once it has recorded the token: hold the socket silently, or close it (join refused). */
  rtc?: 'hold' | 'close';
}

/** A participant's attempt to join a room through the signalling URL. */
export interface RtcJoin {
  path: string;
  token: string;
  /** The verified claims; undefined when the token failed verification (then `error` says why). */
  claims?: ClaimGrants;
  error?: string;
  at: number;
  socket?: WebSocket;
  /** Resolves when the participant's signalling socket closes. */
  closed: Promise<void>;
}

/** Something a test waits for: resolves as soon as a matching item has arrived (past ones included). */
class Inbox<T> {
  readonly items: T[] = [];
  private waiters: { pred: (t: T) => boolean; resolve: (t: T) => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (w.pred(item)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(item);
      }
    }
  }

  next(pred: (t: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    const hit = this.items.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`protocol peer: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (t: T) => {
        clearTimeout(timer);
        resolve(t);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }
}

/** One worker's `/agent` connection, driven by the test the way the server drives it. */
export class WorkerConnection {
  readonly messages = new Inbox<WorkerMessage>();
  readonly workerId = `AW_${randomUUID().slice(0, 12)}`;
  /** Running jobs this peer assigned, by id (as the server's runningJobs). */
  readonly jobs = new Map<string, Job>();
  readonly closed: Promise<{ code: number }>;
  agentName = '';

  constructor(
    readonly socket: WebSocket,
    /** Claims of the JWT the worker authenticated with. */
    readonly claims: ClaimGrants,
    private readonly peer: LiveKitProtocolPeer,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', (code) => resolve({ code })));
    socket.on('message', (data: Buffer) => {
      const msg = WorkerMessage.fromBinary(new Uint8Array(data));
      if (msg.message.case === 'ping') {
        this.send({
          case: 'pong',
          value: new WorkerPong({ lastTimestamp: msg.message.value.timestamp, timestamp: BigInt(Date.now()) }),
        });
      }
      this.messages.push(msg);
    });
  }

  /** The next message of one kind (optionally matching `pred`), seen or still to come. */
  async next<C extends WorkerCase>(
    kind: C,
    pred: (v: WorkerValue<C>) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<WorkerValue<C>> {
    const msg = await this.messages.next(
      (m) => m.message.case === kind && pred(m.message.value as WorkerValue<C>),
      timeoutMs,
      `${kind} message from the worker`,
    );
    return msg.message.value as WorkerValue<C>;
  }

  /** Waits for RegisterWorkerRequest and answers it as the server does (worker id, server info). */
  async acceptRegistration(timeoutMs = 20_000): Promise<WorkerValue<'register'>> {
    const req = await this.next('register', () => true, timeoutMs);
    this.agentName = req.agentName;
    this.send({
      case: 'register',
      value: new RegisterWorkerResponse({
        workerId: this.workerId,
        serverInfo: new ServerInfo({
          edition: ServerInfo_Edition.Standard,
          version: 'protocol-peer',
          protocol: 16,
          agentProtocol: 1,
          nodeId: 'ND_protocol_peer',
        }),
      }),
    });
    return req;
  }

  /** A room job as the server makes it for a dispatch (explicit dispatch: agent name set, no publisher). */
  makeJob(room: string, extra: { dispatchId?: string; metadata?: string } = {}): Job {
    return new Job({
      id: `AJ_${randomUUID().slice(0, 12)}`,
      dispatchId: extra.dispatchId ?? `AD_${randomUUID().slice(0, 12)}`,
      type: JobType.JT_ROOM,
      room: new RoomInfo({ sid: `RM_${randomUUID().slice(0, 12)}`, name: room, emptyTimeout: 300 }),
      agentName: this.agentName,
      metadata: extra.metadata ?? '',
      state: new JobState({ status: JobStatus.JS_PENDING }),
    });
  }

  /** Sends AvailabilityRequest for `job` and returns the worker's AvailabilityResponse for it. */
  async offer(job: Job, timeoutMs = 20_000): Promise<AvailabilityResponse> {
    const state = job.state ?? new JobState();
    state.workerId = this.workerId;
    state.status = JobStatus.JS_RUNNING;
    state.startedAt = BigInt(Date.now()) * 1_000_000n;
    job.state = state;
    this.send({ case: 'availability', value: new AvailabilityRequest({ job }) });
    return this.next('availability', (a) => a.jobId === job.id, timeoutMs);
  }

  /**
   * Sends JobAssignment with the agent's room token, built as the server's BuildAgentToken builds it from the
   * worker's availability answer and registered permissions. Returns the token.
   */
  async assign(job: Job, availability: AvailabilityResponse, register: WorkerValue<'register'>): Promise<string> {
    const perms = register.allowedPermissions;
    const at = new AccessToken(this.peer.options.apiKey, this.peer.options.apiSecret, {
      identity: availability.participantIdentity,
      name: availability.participantName,
      metadata: availability.participantMetadata,
      attributes: { ...availability.participantAttributes, [AGENT_NAME_ATTRIBUTE]: this.agentName },
      ttl: '1h',
    });
    at.kind = 'agent';
    at.addGrant({
      roomJoin: true,
      agent: true,
      room: job.room?.name,
      canSubscribe: perms?.canSubscribe ?? true,
      canPublish: perms?.canPublish ?? true,
      canPublishData: perms?.canPublishData ?? true,
      hidden: perms?.hidden ?? false,
      canUpdateOwnMetadata: perms?.canUpdateMetadata ?? true,
    });
    const token = await at.toJwt();
    this.send({ case: 'assignment', value: new JobAssignment({ job, token, url: this.peer.url }) });
    this.jobs.set(job.id, job);
    return token;
  }

  terminate(jobId: string): void {
    this.jobs.delete(jobId);
    this.send({ case: 'termination', value: new JobTermination({ jobId }) });
  }

  send(message: ServerMessage['message']): void {
    this.socket.send(new ServerMessage({ message }).toBinary());
  }
}

export class LiveKitProtocolPeer {
  readonly workers = new Inbox<WorkerConnection>();
  readonly joins = new Inbox<RtcJoin>();
  /** Upgrades to `/agent` refused for a bad token (HTTP 401, as the server answers). */
  readonly rejectedWorkers: string[] = [];
  readonly dispatches: AgentDispatch[] = [];
  /** Twirp calls the peer received: method and the verified claims of the caller. */
  readonly apiCalls: { method: string; claims?: ClaimGrants; error?: string }[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly verifier: TokenVerifier;
  private url_ = '';

  private constructor(
    readonly options: PeerOptions,
    private readonly server: Server,
  ) {
    this.verifier = new TokenVerifier(options.apiKey, options.apiSecret);
    server.on('upgrade', (req, socket, head) => void this.upgrade(req, socket, head));
    server.on('request', (req, res) => void this.twirp(req, res));
  }

  static async start(options: PeerOptions): Promise<LiveKitProtocolPeer> {
    const peer = new LiveKitProtocolPeer({ rtc: 'hold', ...options }, createServer());
    await new Promise<void>((r) => peer.server.listen(0, '127.0.0.1', r));
    peer.url_ = `ws://127.0.0.1:${(peer.server.address() as AddressInfo).port}`;
    return peer;
  }

  /** `ws://127.0.0.1:<port>`: LIVEKIT_URL for the host under test. */
  get url(): string {
    return this.url_;
  }

  /** The first worker connection (seen or still to come) matching `pred`: `(w) => w !== old` for a reconnect. */
  nextWorker(timeoutMs = 30_000, pred: (w: WorkerConnection) => boolean = () => true): Promise<WorkerConnection> {
    return this.workers.next(pred, timeoutMs, 'worker connection on /agent');
  }

  nextJoin(pred: (j: RtcJoin) => boolean = () => true, timeoutMs = 30_000): Promise<RtcJoin> {
    return this.joins.next(pred, timeoutMs, 'room join on /rtc');
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://peer');
    const token = bearer(req) ?? url.searchParams.get('access_token') ?? '';
    if (url.pathname === '/agent') {
      let claims: ClaimGrants;
      try {
        claims = await this.verifier.verify(token, 0);
        if (!claims.video?.agent) throw new Error('token has no agent grant');
      } catch (err) {
        this.rejectedWorkers.push((err as Error).message);
        refuse(socket, 401);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.workers.push(new WorkerConnection(ws, claims, this)));
      return;
    }
    if (url.pathname === '/rtc' || url.pathname === '/rtc/v1') {
      let claims: ClaimGrants | undefined;
      let error: string | undefined;
      try {
        claims = await this.verifier.verify(token, 0);
      } catch (err) {
        error = (err as Error).message;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const closed = new Promise<void>((r) => ws.once('close', () => r()));
        this.joins.push({ path: url.pathname, token, claims, error, at: Date.now(), socket: ws, closed });
        // A real server would now send JoinResponse and negotiate WebRTC; this peer has no SFU.
        if (this.options.rtc === 'close' || error) ws.close(1008, 'protocol peer: no SFU here');
      });
      return;
    }
    refuse(socket, 404);
  }

  /** AgentDispatchService over Twirp/JSON, with the roomAdmin grant for the room, as the server checks it. */
  private async twirp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const prefix = '/twirp/livekit.AgentDispatchService/';
    if (req.method !== 'POST' || !req.url?.startsWith(prefix)) {
      res.writeHead(404).end();
      return;
    }
    const method = req.url.slice(prefix.length);
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    let claims: ClaimGrants | undefined;
    try {
      claims = await this.verifier.verify(bearer(req) ?? '', 0);
      if (!claims.video?.roomAdmin || claims.video.room !== body.room) throw new Error('no roomAdmin for this room');
    } catch (err) {
      this.apiCalls.push({ method, error: (err as Error).message });
      twirpError(res, 401, 'unauthenticated', (err as Error).message);
      return;
    }
    this.apiCalls.push({ method, claims });
    if (method === 'CreateDispatch') {
      const r = CreateAgentDispatchRequest.fromJson(body as never, { ignoreUnknownFields: true });
      const d = new AgentDispatch({
        id: `AD_${randomUUID().slice(0, 12)}`,
        agentName: r.agentName,
        room: r.room,
        metadata: r.metadata,
      });
      this.dispatches.push(d);
      res.writeHead(200, { 'content-type': 'application/json' }).end(d.toJsonString());
    } else if (method === 'ListDispatch') {
      const r = ListAgentDispatchRequest.fromJson(body as never, { ignoreUnknownFields: true });
      const list = new ListAgentDispatchResponse({ agentDispatches: this.dispatches.filter((d) => d.room === r.room) });
      res.writeHead(200, { 'content-type': 'application/json' }).end(list.toJsonString());
    } else {
      twirpError(res, 404, 'bad_route', `no method ${method}`);
    }
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

function refuse(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Not Found'}\r\nConnection: close\r\n\r\n`);
}

function twirpError(res: ServerResponse, status: number, code: string, msg: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, msg }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
