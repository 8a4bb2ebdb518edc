// One conversation: an agents-js AgentSession wired to the brain and TTS functions, with events, per-turn
// metrics and persistence. The same class runs behind a LiveKit room and behind the local WebSocket.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { llm, type stt, type VAD, voice } from '@livekit/agents';
import type { AudioFrame, Room } from '@livekit/rtc-node';
import type { FunctionClient } from '../lib/bus/client.js';
import type { NatsLink } from '../lib/bus/nats-link.js';
import type { Config } from '../lib/config/index.js';
import type { Logger } from '../lib/log.js';
import type { AgentEvent } from '../lib/protocol/index.js';
import { childTraceparent } from '../lib/telemetry/trace.js';
import { ArcAgent } from './agent.js';
import { agentEventPublisher } from './events.js';
import { SessionWriter } from './persistence.js';
import { type BackchannelOptions, DEFAULT_BACKCHANNEL, filterBackchannels } from './plugins/backchannel.js';
import { SherlockLLM } from './plugins/llm.js';
import type { PhraseCache } from './plugins/phrases.js';
import { PiperTTS } from './plugins/tts.js';
import { RecordingAudioInput, RecordingAudioOutput, StereoRecorder } from './recording.js';
import { instrumentSession } from './tracing.js';
import { TranscriptTurnDetector } from './turn-detector.js';
import {
  RECONCILE_TOLERANCE_MS,
  type Reconciliation,
  reconcile,
  spokenText,
  type TurnMeasures,
  type TurnReport,
  TurnTracker,
} from './turns.js';

/** What a session needs that outlives it: shared, warm, created once per host process. */
export interface VoiceSessionDeps {
  client: FunctionClient;
  log: Logger;
  vad: VAD;
  stt: stt.STT;
  /** Greeting and apology audio, synthesised once per host (see warmPhrases). */
  phrases?: PhraseCache;
  /** Where `agent.events.<sessionId>` are published (UI in room mode, tools); none in tests that listen directly. */
  nats?: NatsLink;
}

export interface VoiceSessionOptions {
  sessionId: string;
  /** The participant identity; the brain's memory is scoped to it. */
  userId: string;
  roomId?: string;
  /** Said on join (interruptible); null to stay quiet. */
  greeting: string | null;
  /** Said when the brain fails. */
  apology: string;
  /** Agent audio rate asked of the tts function. */
  sampleRate: number;
  voice?: string;
  /**
   * `transcript`: the turn ends after `minDelayMs` of silence unless the words so far read unfinished (a
   * trailing "and", a number being dictated), then after `maxDelayMs`. `vad`: always `minDelayMs`.
   */
  turnDetection: 'transcript' | 'vad';
  /** Silence after speech before the turn is committed, and the ceiling. */
  endpointing: { minDelayMs: number; maxDelayMs: number };
  interruption: {
    /** Speech this long while the agent talks pauses it (ms). */
    minDurationMs: number;
    /** Words needed (from the interim transcript) to count as an interruption; 0 = any speech. */
    minWords: number;
    /** After a pause with no words recognised, resume this much later (ms). */
    falseInterruptionTimeoutMs: number;
    resume: boolean;
  };
  /**
   * Acknowledgements ("mhm", "okay", "yeah") said while a reply is live do not take the turn: the reply pauses
   * and resumes where it paused (see docs/turn-taking.md). null: every transcript is a turn.
   */
  backchannel: BackchannelOptions | null;
  preemptiveGeneration: boolean;
  /** Synthesise reply chunks while the brain is still writing (see PiperTTS `overlap`). */
  overlap: boolean;
  /** Write session start / turns / end through session.write. */
  persist: boolean;
  /** Record both sides of the conversation into this folder (RECORD_SESSIONS=1); undefined = no recording. */
  recordingDir?: string;
}

export const DEFAULT_SESSION_OPTIONS = {
  greeting: "Hello! I'm ready to help.",
  apology: "Sorry, I can't answer right now. Please try again in a moment.",
  sampleRate: 22050,
  turnDetection: 'transcript',
  endpointing: { minDelayMs: 200, maxDelayMs: 1000 },
  // 60 ms: the agent stops within 150 ms of audio after a voice starts (test/turns); a cough or a "mhm" only
  // pauses it, and it resumes where it paused (backchannel, falseInterruptionTimeoutMs).
  interruption: { minDurationMs: 60, minWords: 0, falseInterruptionTimeoutMs: 1500, resume: true },
  backchannel: DEFAULT_BACKCHANNEL,
  preemptiveGeneration: true,
  overlap: true,
  persist: true,
} satisfies Partial<VoiceSessionOptions>;

/**
 * Synthesises the fixed phrases of these options (greeting, apology) into the host's cache, through the tts
 * function, once, before the first session: later sessions say them without a tts call.
 */
export async function warmPhrases(
  deps: Pick<VoiceSessionDeps, 'client' | 'log'> & { phrases: PhraseCache },
  options: Partial<Pick<VoiceSessionOptions, 'greeting' | 'apology' | 'sampleRate' | 'voice'>> = {},
): Promise<void> {
  const o = { ...DEFAULT_SESSION_OPTIONS, ...options };
  const tts = new PiperTTS({ client: deps.client, log: deps.log, sampleRate: o.sampleRate, voice: o.voice });
  const signal = new AbortController().signal;
  let n = 0;
  await deps.phrases.warm(
    [o.greeting, o.apology].filter((p): p is string => Boolean(p)),
    { sampleRate: o.sampleRate, voice: o.voice, log: deps.log },
    (text) => tts.frames(text, `phrase-${process.pid}-${n++}`, signal),
  );
}

/** Session options that follow the process's configuration (RECORD_SESSIONS → a recordings folder). */
export function sessionOptionsFromConfig(
  config: Pick<Config, 'recordSessions' | 'dataDir'>,
): Partial<VoiceSessionOptions> {
  return config.recordSessions ? { recordingDir: join(config.dataDir, 'recordings') } : {};
}

export interface SessionIo {
  input?: voice.AudioInput;
  output?: voice.AudioOutput;
  room?: Room;
  /**
   * The output plays in real time and reports released frames through `recordAgentAudio` (local mode), so the
   * recording holds what was heard; otherwise frames are recorded as they are handed to the output.
   */
  recordsAtRelease?: boolean;
  /** The user's speech end as the transport measured it (local mode): each turn's timings are reconciled with it. */
  speechEnd?: () => number | undefined;
}

/** How often a live reply is checked for interruption (agents-js exposes no interruption event). */
const INTERRUPTION_POLL_MS = 20;

type Required2<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** Where one function call's first result came from and how long it took (benchmarks, overhead accounting). */
export interface CallTiming {
  fn: 'brain' | 'tts';
  requestId: string;
  /** performance.now() when the request was sent and when its first chunk arrived. */
  sentAt: number;
  firstAt: number;
  /** The replica's own time to that chunk; `firstAt - sentAt - handlerMs` is transport and queueing. */
  handlerMs?: number;
  transport?: string;
}

export class VoiceSession extends EventEmitter<{
  event: [AgentEvent];
  timing: [CallTiming];
  /** A turn's stages and gaps summed against the measured speech end → first audio (local mode). */
  reconciled: [Reconciliation];
  closed: [];
}> {
  readonly options: VoiceSessionOptions;
  readonly agentSession: voice.AgentSession;
  readonly turns: TurnTracker;
  readonly llm: SherlockLLM;
  readonly tts: PiperTTS;
  private readonly log: Logger;
  private readonly writer: SessionWriter;
  private startedAt = 0;
  private closed = false;
  private recorder: StereoRecorder | undefined;
  /** Trace context of the current turn: a new trace starts when the user starts speaking. */
  private traceparent: string = childTraceparent();
  /** Wall-clock ms the user last started speaking: replies started before it are the ones a barge-in cuts. */
  private userSpeechStartedAt = 0;
  /** The brain request whose reply is being spoken: the assistant turn that follows is stored under its id. */
  private replyRequest: { id: string; reply: string; ttsFailed: boolean } | undefined;
  /** Speech handles created and not yet done (replies pending, playing or paused). */
  private readonly live = new Set<voice.SpeechHandle>();
  /** Where the output's last finished segment stopped (seconds of it played), for cutting an interrupted reply. */
  private lastPlayback: { playbackPosition: number; interrupted: boolean } | undefined;
  /** Acknowledgements held back from the session while the agent talked (see `backchannel`). */
  backchannels = 0;
  /** The transport's measured speech end (local mode), read when a turn commits. */
  private measuredSpeechEnd: (() => number | undefined) | undefined;
  /** Measured speech end of each open turn, and the latest brain and tts first-chunk timings (wall ms). */
  private readonly commits = new Map<string, number | undefined>();
  /** The brain and tts first chunks of the reply whose first audio closed the turn. */
  private heard:
    | {
        brain?: { markAt: number; sentAt: number; firstAt: number };
        tts?: { markAt: number; spokenAt: number; sentAt: number; firstAt: number };
      }
    | undefined;
  /** Brain requests' first deltas (wall ms: `markAt` by Date.now, `sentAt`/`firstAt` from their own timer). */
  private readonly brainFirsts = new Map<string, { markAt: number; sentAt: number; firstAt: number }>();
  /** The latest reply's first tts chunk, the same way. */
  private ttsFirst: { markAt: number; spokenAt: number; sentAt: number; firstAt: number } | undefined;

  constructor(deps: VoiceSessionDeps, options: Required2<VoiceSessionOptions, keyof typeof DEFAULT_SESSION_OPTIONS>) {
    super();
    this.options = { ...DEFAULT_SESSION_OPTIONS, ...options } as VoiceSessionOptions;
    const o = this.options;
    this.log = deps.log.child({ sessionId: o.sessionId, userId: o.userId });
    this.writer = new SessionWriter(deps.client, this.log, o.sessionId);
    this.turns = new TurnTracker(o.sessionId, (t) => {
      this.reconcileTurn(t);
      this.emitEvent({ type: 'turn', turnId: t.turnId, speechEndAt: t.speechEnd, stages: t.stages, at: Date.now() });
    });
    const wall = (t: number) => performance.timeOrigin + t;
    this.llm = new SherlockLLM({
      client: deps.client,
      log: this.log,
      sessionId: o.sessionId,
      userId: o.userId,
      apology: o.apology,
      traceparent: () => this.traceparent,
      onStart: (id) => {
        this.replyRequest = { id, reply: '', ttsFailed: false };
      },
      onDelta: (requestId, delta, first) => {
        if (first) {
          const markAt = Date.now();
          const firstAt = performance.now();
          this.turns.mark('brainFirstDelta', markAt);
          this.brainFirsts.set(requestId, { markAt, sentAt: wall(first.sentAt), firstAt: wall(firstAt) });
          if (this.brainFirsts.size > 8) this.brainFirsts.delete(this.brainFirsts.keys().next().value as string);
          this.emit('timing', { fn: 'brain', requestId, firstAt, ...first });
        }
        if (this.replyRequest?.id === requestId) this.replyRequest.reply += delta;
        this.emitEvent({ type: 'reply', requestId, delta, at: Date.now() });
      },
      onContext: (requestId, memories) => this.emitEvent({ type: 'memories', requestId, memories, at: Date.now() }),
      onError: (_id, err) => {
        this.emitEvent({
          type: 'error',
          code: (err as { code?: string }).code ?? 'internal',
          message: err.message,
          at: Date.now(),
        });
      },
    });
    this.tts = new PiperTTS({
      client: deps.client,
      log: this.log,
      sampleRate: o.sampleRate,
      voice: o.voice,
      phrases: deps.phrases,
      overlap: o.overlap,
      traceparent: () => this.traceparent,
      onChunk: (c) => {
        if (c.index !== 0) return;
        if (c.firstAudioAt === undefined) {
          this.turns.mark('firstSpeakableChunk');
          this.ttsFirst = { markAt: 0, spokenAt: Date.now(), sentAt: wall(c.sentAt), firstAt: 0 };
          return;
        }
        this.turns.mark('ttsFirstChunk');
        if (this.ttsFirst) Object.assign(this.ttsFirst, { markAt: Date.now(), firstAt: wall(c.firstAudioAt) });
        const { requestId, sentAt, firstAudioAt: firstAt, handlerMs, transport } = c;
        this.emit('timing', { fn: 'tts', requestId, sentAt, firstAt, handlerMs, transport });
      },
      onError: (err) => {
        if (this.replyRequest) this.replyRequest.ttsFailed = true;
        this.emitEvent({
          type: 'error',
          code: (err as { code?: string }).code ?? 'internal',
          message: `tts: ${err.message}`,
          at: Date.now(),
        });
      },
    });
    this.agentSession = new voice.AgentSession({
      vad: deps.vad,
      stt: deps.stt,
      llm: this.llm,
      tts: this.tts,
      turnHandling: {
        turnDetection: o.turnDetection === 'transcript' ? new TranscriptTurnDetector() : 'vad',
        endpointing: { mode: 'fixed', minDelay: o.endpointing.minDelayMs, maxDelay: o.endpointing.maxDelayMs },
        interruption: {
          enabled: true,
          mode: 'vad',
          minDuration: o.interruption.minDurationMs,
          minWords: o.interruption.minWords,
          falseInterruptionTimeout: o.interruption.falseInterruptionTimeoutMs,
          resumeFalseInterruption: o.interruption.resume,
        },
        // Preemptive replies are synthesised too: the first audio is ready when the turn commits.
        preemptiveGeneration: { enabled: o.preemptiveGeneration, preemptiveTts: o.preemptiveGeneration },
      },
      // Browsers cancel echo themselves; a warm-up that ignores the user would hide barge-in.
      aecWarmupDuration: 0,
      userAwayTimeout: null,
      useTtsAlignedTranscript: false,
    });
    this.wire();
    instrumentSession(this); // per-turn trace and latency-budget metrics (agent-host/tracing.ts)
    if (deps.nats) this.on('event', agentEventPublisher(deps.nats, o.sessionId, this.log));
  }

  /** Starts the conversation on the given audio (local) or room (LiveKit) and greets. */
  async start(io: SessionIo): Promise<void> {
    const o = this.options;
    this.startedAt = Date.now();
    this.measuredSpeechEnd = io.speechEnd;
    if (o.persist) {
      this.writer.start({ userId: o.userId, roomId: o.roomId, startTime: new Date(this.startedAt).toISOString() });
    }
    if (o.recordingDir) this.recorder = await StereoRecorder.create(o.recordingDir, o.sessionId);
    const rec = this.recorder;
    if (io.input) this.agentSession.input.audio = rec ? new RecordingAudioInput(io.input, rec) : io.input;
    if (io.output) {
      this.agentSession.output.audio =
        rec && !io.recordsAtRelease ? new RecordingAudioOutput(io.output, rec) : io.output;
    }
    await this.agentSession.start({
      agent: new TurnTakingAgent(o.greeting, this),
      room: io.room,
      // Listen to exactly this participant (not "the first one to join").
      ...(io.room ? { inputOptions: { participantIdentity: o.userId } } : {}),
    });
    if (io.room && rec) {
      // RoomIO made the input and output: record what passes through them.
      const { input, output } = this.agentSession;
      if (input.audio) input.audio = new RecordingAudioInput(input.audio, rec);
      if (output.audio) output.audio = new RecordingAudioOutput(output.audio, rec);
    }
    this.agentSession.output.audio?.on(
      voice.AudioOutput.EVENT_PLAYBACK_FINISHED,
      (ev: { playbackPosition: number; interrupted: boolean }) => {
        this.lastPlayback = ev;
      },
    );
    if (io.room) {
      // The room output reports when a segment's first frame went into the agent's track: the turn's first audio.
      this.agentSession.output.audio?.on(voice.AudioOutput.EVENT_PLAYBACK_STARTED, (ev: { createdAt: number }) =>
        this.markFirstAudio(ev.createdAt),
      );
    }
    this.emitEvent({ type: 'session', state: 'started', sessionId: o.sessionId, userId: o.userId, at: this.startedAt });
    this.log.info({ roomId: o.roomId }, 'session started');
  }

  /** Replies created and not yet played out or released (0 when the conversation is idle). */
  get pendingSpeech(): number {
    return this.live.size;
  }

  /** Whether a reply is pending, playing or paused: an acknowledgement now is a backchannel. */
  get replyLive(): boolean {
    return this.live.size > 0;
  }

  /** W3C trace context of the current turn (one trace per user turn). */
  get turnTraceparent(): string {
    return this.traceparent;
  }

  /** A frame of agent audio started playing (local mode's player): recorded where it was heard. */
  recordAgentAudio(frame: AudioFrame): void {
    this.recorder?.agent(frame);
  }

  /** The agent's first audible frame of a reply started playing (reported by the output). */
  markFirstAudio(at = Date.now()): void {
    if (!this.turns.awaitingAudio) return;
    // The stages are those of the reply heard: a cancelled preemptive reply's earlier marks are replaced.
    const brain = this.replyRequest && this.brainFirsts.get(this.replyRequest.id);
    if (brain && brain.markAt <= at) this.turns.set('brainFirstDelta', brain.markAt);
    const tts = this.ttsFirst;
    if (tts && tts.markAt > 0 && tts.markAt <= at) {
      this.turns.set('firstSpeakableChunk', tts.spokenAt);
      this.turns.set('ttsFirstChunk', tts.markAt);
    }
    this.heard = { brain, tts: tts ? { ...tts } : undefined };
    this.turns.mark('firstAudio', at);
  }

  /** Ends the conversation: closes the agents-js session, writes the end, flushes writes. */
  async close(reason = 'closed'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.turns.close();
    try {
      await this.agentSession.close();
    } catch (err) {
      this.log.warn({ err }, 'agent session close failed');
    }
    if (this.recorder) {
      const { path, durationMs } = this.recorder.close();
      this.log.info({ path, durationMs: Math.round(durationMs) }, 'session recorded');
      if (this.options.persist) {
        this.writer.recording({
          mime: 'audio/wav',
          uri: pathToFileURL(path).href,
          createdAt: new Date().toISOString(),
        });
      }
    }
    if (this.options.persist) this.writer.end({ endTime: new Date().toISOString() });
    await this.writer.flush();
    this.emitEvent({
      type: 'session',
      state: 'ended',
      sessionId: this.options.sessionId,
      userId: this.options.userId,
      at: Date.now(),
    });
    this.log.info({ reason, durationMs: Date.now() - this.startedAt }, 'session ended');
    this.emit('closed');
  }

  /** Cancels the brain work of a reply the moment its speech is interrupted (see SherlockLLM.cancelStartedBefore). */
  private watchInterruption(handle: voice.SpeechHandle): void {
    this.live.add(handle);
    handle.addDoneCallback(() => this.live.delete(handle));
    const timer = setInterval(() => {
      if (handle.interrupted) {
        clearInterval(timer);
        const n = this.llm.cancelStartedBefore(this.userSpeechStartedAt || Date.now());
        if (n > 0) this.log.debug({ speechId: handle.id, cancelled: n }, 'reply interrupted: brain requests cancelled');
      } else if (handle.done() || this.closed) {
        clearInterval(timer);
      }
    }, INTERRUPTION_POLL_MS);
    timer.unref();
  }

  /**
   * Sums a finished turn's parts (stages from the marks, brain and tts times from their own timers, the gaps
   * between them) and compares them with the measured speech end → first audible frame; a turn that does not
   * add up within RECONCILE_TOLERANCE_MS is logged with its breakdown.
   */
  private reconcileTurn(report: TurnReport): void {
    const measuredSpeechEnd = this.commits.get(report.turnId);
    this.commits.delete(report.turnId);
    const firstAudio = report.stages.firstAudio;
    if (measuredSpeechEnd === undefined || firstAudio === undefined) return;
    // The brain and tts times of the reply heard, by their own timers (not the marks the stages came from).
    const { brain, tts } = this.heard ?? {};
    const measures: TurnMeasures = {
      measuredSpeechEnd,
      brain: brain && { sentAt: brain.sentAt, firstAt: brain.firstAt },
      tts: tts && tts.firstAt > 0 ? { sentAt: tts.sentAt, firstAt: tts.firstAt } : undefined,
    };
    const r = reconcile(report, measures);
    if (!r) return;
    this.emit('reconciled', r);
    if (Math.abs(r.errorMs) > RECONCILE_TOLERANCE_MS) {
      this.log.warn(
        {
          turnId: r.turnId,
          measuredMs: Math.round(r.measuredMs),
          errorMs: Math.round(r.errorMs),
          breakdown: r.breakdown.map((p) => `${p.part} ${Math.round(p.ms)}`).join(', '),
        },
        'turn timings do not add up',
      );
    }
  }

  /** Stores what the agent said, as heard (all of it as text when TTS was down and nothing could be heard). */
  private persistReply(text: string, interrupted: boolean, at: number): void {
    const request = this.replyRequest;
    this.replyRequest = undefined;
    const textOnly = request?.ttsFailed === true && request.reply.trim() !== '';
    const body = {
      userId: this.options.userId,
      role: 'assistant' as const,
      text: textOnly ? (request?.reply ?? text) : text,
      createdAt: new Date(at).toISOString(),
      ...(interrupted && !textOnly ? { interrupted: true } : {}),
    };
    this.writer.turn(body, request ? `${request.id}-assistant` : undefined);
  }

  /**
   * agents-js stores an interrupted reply's whole generated text (aligned transcripts are off: they stalled
   * interruptions). Cut it, in the chat context itself (the brain's next history) and in what is stored, to the
   * words the listener heard: the TTS chunk map aligned with the playback position the output reported.
   */
  private keepSpokenOnly(item: llm.ChatMessage): void {
    const generated = item.textContent ?? '';
    if (this.replyRequest?.ttsFailed) return; // nothing could be heard: the text is the reply (see persistReply)
    const chunks = this.tts.chunksOf(generated);
    const played = this.lastPlayback?.playbackPosition ?? 0;
    const spoken = chunks ? spokenText(chunks, played) : played > 0 ? generated : '';
    item.content = [spoken];
    this.log.debug({ generated, spoken, playedSec: played }, 'interrupted reply cut to what was heard');
  }

  private emitEvent(event: AgentEvent): void {
    this.emit('event', event);
  }

  private wire(): void {
    const s = this.agentSession;
    const o = this.options;
    s.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) =>
      this.emitEvent({ type: 'state', agent: ev.newState, at: ev.createdAt }),
    );
    s.on(voice.AgentSessionEventTypes.UserStateChanged, (ev) => {
      if (ev.newState === 'speaking') {
        this.userSpeechStartedAt = ev.createdAt;
        this.traceparent = childTraceparent();
      }
      this.emitEvent({ type: 'state', user: ev.newState, at: ev.createdAt });
    });
    s.on(voice.AgentSessionEventTypes.SpeechCreated, (ev) => this.watchInterruption(ev.speechHandle));
    s.on(voice.AgentSessionEventTypes.UserInputTranscribed, (ev) =>
      this.emitEvent({ type: 'transcript', text: ev.transcript, final: ev.isFinal, at: ev.createdAt }),
    );
    s.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => {
      const m = ev.metrics;
      if (m.type === 'eou_metrics' && m.lastSpeakingTimeMs > 0) {
        const id = this.turns.commit(
          m.lastSpeakingTimeMs,
          m.lastSpeakingTimeMs + m.endOfUtteranceDelayMs,
          m.transcriptionDelayMs > 0 ? m.lastSpeakingTimeMs + m.transcriptionDelayMs : undefined,
        );
        if (this.measuredSpeechEnd) this.commits.set(id, this.measuredSpeechEnd());
      }
    });
    s.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      const item = ev.item;
      if (!(item instanceof llm.ChatMessage)) return;
      if (item.role === 'assistant' && item.interrupted) this.keepSpokenOnly(item);
      const text = item.textContent ?? '';
      if (item.role === 'assistant') {
        this.emitEvent({ type: 'reply-end', text, interrupted: item.interrupted, at: ev.createdAt });
      }
      if (!o.persist) return;
      if (item.role === 'assistant') this.persistReply(text, item.interrupted, ev.createdAt);
      // The turn as committed (a preemptive reply to an earlier guess is never stored).
      else if (item.role === 'user')
        this.writer.turn({ userId: o.userId, role: 'user', text, createdAt: new Date(ev.createdAt).toISOString() });
    });
    s.on(voice.AgentSessionEventTypes.Error, (ev) => {
      const err = ev.error as { message?: string; code?: string } | undefined;
      this.log.warn({ err: err?.message, source: ev.source?.constructor?.name }, 'session error');
      this.emitEvent({
        type: 'error',
        code: err?.code ?? 'internal',
        message: err?.message ?? 'session error',
        at: ev.createdAt,
      });
    });
    s.on(voice.AgentSessionEventTypes.Close, () => {
      if (!this.closed) void this.close('agent session closed');
    });
  }
}

/** The session's agent: ArcAgent, with acknowledgements said over a live reply held back from the session. */
class TurnTakingAgent extends ArcAgent {
  constructor(
    greeting: string | null,
    private readonly owner: VoiceSession,
  ) {
    super(greeting);
  }

  override async sttNode(
    audio: Parameters<voice.Agent['sttNode']>[0],
    modelSettings: Parameters<voice.Agent['sttNode']>[1],
  ): ReturnType<voice.Agent['sttNode']> {
    const events = await super.sttNode(audio, modelSettings);
    const options = this.owner.options.backchannel;
    if (!events || !options) return events;
    return filterBackchannels(
      events,
      () => this.owner.replyLive,
      options,
      () => {
        this.owner.backchannels++;
      },
    );
  }
}
