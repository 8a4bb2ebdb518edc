// One room job: join the room, wait for the user, run a VoiceSession on the room's audio until they leave.
import { once } from 'node:events';
import { AutoSubscribe, type JobContext } from '@livekit/agents';
import { type RemoteParticipant, RoomEvent } from '@livekit/rtc-node';
import type { NatsLink } from '../../lib/bus/nats-link.js';
import type { Config } from '../../lib/config/index.js';
import { ROOM_NAME } from '../../lib/livekit/token.js';
import {
  DEFAULT_SESSION_OPTIONS,
  sessionOptionsFromConfig,
  VoiceSession,
  type VoiceSessionDeps,
  type VoiceSessionOptions,
} from '../session.js';

/** What a job process holds, made once in its prewarm (before any job is assigned to it). */
export interface RoomJobDeps extends VoiceSessionDeps {
  config: Config;
  nats: NatsLink;
  /** Stops the recogniser and flushes NATS; the process exits after. */
  close(): Promise<void>;
}

/** How long a closing session may take to write its end and flush before the job lets go. */
const SESSION_CLOSE_WAIT_MS = 10_000;

/**
 * The session id is the room name (one conversation per room), which also names the NATS subject
 * `agent.events.<sessionId>`; a room name that cannot be a subject token falls back to the job id.
 */
export function sessionIdFor(roomName: string | undefined, jobId: string): string {
  if (roomName && ROOM_NAME.test(roomName)) return roomName;
  return jobId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128) || 'job';
}

/** The agents-js job entry: returns once the session is running; the job ends when the user leaves. */
export async function runRoomJob(
  ctx: JobContext,
  deps: RoomJobDeps,
  defaults: Partial<VoiceSessionOptions> = {},
): Promise<VoiceSession> {
  const roomName = ctx.job.room?.name;
  const log = deps.log.child({ jobId: ctx.job.id, room: roomName });
  let running: { session: VoiceSession; closed: Promise<unknown> } | undefined;
  // One shutdown step, in order: let the session write its end and flush, then release the process's deps.
  ctx.addShutdownCallback(async function closeRoomJob() {
    if (running) {
      void running.session.close('job ended');
      await Promise.race([running.closed, new Promise((r) => setTimeout(r, SESSION_CLOSE_WAIT_MS).unref())]);
    }
    await deps.close();
  });
  await ctx.connect(undefined, AutoSubscribe.AUDIO_ONLY);
  log.info({ identity: ctx.agent?.identity }, 'joined room');

  const participant = await ctx.waitForParticipant();
  const sessionId = sessionIdFor(roomName, ctx.job.id);
  const session = new VoiceSession(
    { ...deps, log },
    {
      ...DEFAULT_SESSION_OPTIONS,
      ...sessionOptionsFromConfig(deps.config),
      ...defaults,
      sessionId,
      userId: participant.identity,
      roomId: roomName,
    },
  );
  const closed = once(session, 'closed');
  running = { session, closed };

  // The user hung up: end the conversation (writes the session end), then the job (the agent leaves the room).
  const onLeave = (p: RemoteParticipant) => {
    if (p.identity === participant.identity) void session.close('participant left');
  };
  ctx.room.on(RoomEvent.ParticipantDisconnected, onLeave);
  void closed.then(() => {
    ctx.room.off(RoomEvent.ParticipantDisconnected, onLeave);
    ctx.shutdown('session closed');
  });

  // RoomIO subscribes to the participant's microphone and publishes the agent's track.
  await session.start({ room: ctx.room });
  return session;
}
