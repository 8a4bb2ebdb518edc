// Local mode: conversations without a LiveKit server. A transport (the gateway's WebSocket, a test) opens a
// session, pushes microphone PCM in and receives agent audio frames and events out.
import { randomUUID } from 'node:crypto';
import type { AudioFrame } from '@livekit/rtc-node';
import type { Logger } from '../../lib/log.js';
import type { AgentEvent } from '../../lib/protocol/index.js';
import { DEFAULT_SESSION_OPTIONS, VoiceSession, type VoiceSessionDeps, type VoiceSessionOptions } from '../session.js';
import { LocalAudioInput } from './audio-input.js';
import { type AudioSink, LocalAudioOutput, type LocalAudioOutputOptions } from './audio-output.js';

/** What the transport receives from a local session. */
export interface LocalSessionListener {
  /** An agent audio frame starts playing now (already paced in real time). */
  audio(frame: AudioFrame): void;
  /** Barge-in: drop agent audio buffered on the client. */
  clear(): void;
  event(event: AgentEvent): void;
}

export interface OpenLocalSession {
  userId: string;
  sessionId?: string;
  listener: LocalSessionListener;
  /** Per-session overrides (tests and benchmarks tune endpointing, greeting…). */
  options?: Partial<VoiceSessionOptions>;
  output?: Partial<Omit<LocalAudioOutputOptions, 'sink'>>;
}

export interface LocalSession {
  readonly sessionId: string;
  readonly session: VoiceSession;
  readonly input: LocalAudioInput;
  readonly output: LocalAudioOutput;
  /** Microphone audio in: mono s16le at one of the supported rates. */
  pushPcm(pcm: Int16Array, sampleRate: number): void;
  close(reason?: string): Promise<void>;
}

export class LocalSessionHost {
  private readonly sessions = new Map<string, LocalSession>();

  constructor(
    private readonly deps: VoiceSessionDeps,
    private readonly defaults: Partial<VoiceSessionOptions> = {},
    private readonly log: Logger = deps.log,
  ) {}

  get active(): number {
    return this.sessions.size;
  }

  async open(request: OpenLocalSession): Promise<LocalSession> {
    const sessionId = request.sessionId ?? randomUUID();
    const input = new LocalAudioInput();
    let session: VoiceSession | undefined;
    const sink: AudioSink = {
      frame: (frame, info) => {
        if (info.audible) session?.markFirstAudio();
        session?.recordAgentAudio(frame);
        request.listener.audio(frame);
      },
      clear: () => request.listener.clear(),
    };
    const output = new LocalAudioOutput({ sink, ...request.output });
    session = new VoiceSession(this.deps, {
      ...DEFAULT_SESSION_OPTIONS,
      ...this.defaults,
      ...request.options,
      sessionId,
      userId: request.userId,
    });
    session.on('event', (e) => request.listener.event(e));
    const local: LocalSession = {
      sessionId,
      session,
      input,
      output,
      pushPcm: (pcm, rate) => input.pushPcm(pcm, rate),
      close: async (reason = 'hung up') => {
        if (!this.sessions.delete(sessionId)) return;
        input.end();
        await output.close();
        await session?.close(reason);
      },
    };
    this.sessions.set(sessionId, local);
    try {
      await session.start({ input, output, recordsAtRelease: true, speechEnd: () => input.lastVoicedAt });
    } catch (err) {
      this.sessions.delete(sessionId);
      this.log.error({ err, sessionId }, 'local session failed to start');
      throw err;
    }
    return local;
  }

  async closeAll(reason = 'host shutting down'): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close(reason)));
  }
}
