// Room mode: join a LiveKit room with a token from POST /api/token; agent events arrive over Server-Sent
// Events from /api/events/<room> (the agent host publishes them on NATS). livekit-client loads on demand.
import { agentEvent } from '../../../lib/protocol/events.js';
import type { AudioEngine } from '../audio/engine.js';
import { type Transport, type TransportHandlers, unreachable } from './types.js';

interface TokenReply {
  token: string;
  url: string;
  room: string;
}

export class RoomTransport implements Transport {
  readonly mode = 'room' as const;
  private room: import('livekit-client').Room | undefined;
  private events: EventSource | undefined;
  private ended = false;

  constructor(
    private readonly engine: AudioEngine,
    private readonly userId: string,
    private readonly on: TransportHandlers,
  ) {}

  async start(): Promise<void> {
    this.on.state('connecting');
    let reply: TokenReply;
    try {
      const res = await fetch('/api/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identity: this.userId }),
      });
      const body = (await res.json()) as TokenReply & { message?: string };
      if (!res.ok) throw new Error(body.message ?? `token request failed (${res.status})`);
      reply = body;
    } catch (err) {
      const msg = err instanceof TypeError ? unreachable() : `Could not join a room: ${(err as Error).message}`;
      this.on.error(msg, true);
      this.on.state('error');
      return;
    }
    const { Room, RoomEvent, Track } = await import('livekit-client');
    const room = new Room();
    this.room = room;
    room.on(RoomEvent.TrackSubscribed, (track) => {
      if (track.kind !== Track.Kind.Audio) return;
      // Chrome delivers remote WebRTC audio to Web Audio only while a media element also plays it.
      const el = track.attach();
      el.muted = true;
      el.hidden = true;
      document.body.append(el);
      this.engine.playTrack(track.mediaStreamTrack);
    });
    room.on(RoomEvent.Disconnected, () => {
      this.events?.close();
      if (this.ended) this.on.state('closed');
      else {
        this.on.error('The room connection was lost.', true);
        this.on.state('error');
      }
    });
    this.listen(reply.room);
    try {
      await room.connect(reply.url, reply.token);
      await room.localParticipant.setMicrophoneEnabled(true);
    } catch (err) {
      this.events?.close();
      this.on.error(`Could not connect to the media server at ${reply.url}: ${(err as Error).message}`, true);
      this.on.state('error');
      return;
    }
    this.on.ready({ sessionId: reply.room });
    this.on.state('connected');
  }

  setMuted(muted: boolean): void {
    void this.room?.localParticipant.setMicrophoneEnabled(!muted);
  }

  async hangup(): Promise<void> {
    this.ended = true;
    this.events?.close();
    await this.room?.disconnect();
  }

  private listen(room: string): void {
    const es = new EventSource(`/api/events/${encodeURIComponent(room)}`);
    this.events = es;
    es.addEventListener('agent', (e) => {
      try {
        const parsed = agentEvent.safeParse(JSON.parse((e as MessageEvent).data));
        if (parsed.success) this.on.agentEvent(parsed.data);
      } catch {
        // not JSON: skip
      }
    });
  }
}
