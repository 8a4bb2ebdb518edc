// PiperTTS: an agents-js streaming TTS whose engine is the tts function. Text arrives incrementally, is cut
// into speakable chunks, and each chunk is sent to `tts.request` the moment it is complete, so generation
// and synthesis overlap; audio comes back in order as 20 ms frames.
import { randomUUID } from 'node:crypto';
import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, tts, voice } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { FrameChunker, pcmFromBytes } from '../../lib/audio/index.js';
import type { FunctionClient } from '../../lib/bus/client.js';
import type { Logger } from '../../lib/log.js';
import { ArcError, HDR_HANDLER_MS, HDR_SAMPLE_RATE } from '../../lib/protocol/index.js';
import { type ChunkerOptions, SpeakableChunker } from '../../lib/text/chunker.js';
import { AsyncQueue } from '../../lib/util/async-queue.js';
import { Semaphore } from '../../lib/util/semaphore.js';
import type { PhraseCache } from './phrases.js';

export interface ChunkTiming {
  requestId: string;
  index: number;
  text: string;
  /** performance.now() when the chunk was complete and sent. */
  sentAt: number;
  /** performance.now() when its first audio arrived. */
  firstAudioAt?: number;
  /** The tts replica's own time to that first audio (Arc-Handler-Ms); the rest is transport. */
  handlerMs?: number;
  transport?: string;
}

export interface PiperTTSOptions {
  client: FunctionClient;
  log: Logger;
  /** How replies are cut into speakable chunks (≤ 15 words, first clause at once). */
  chunker: Partial<ChunkerOptions>;
  /** Rate asked of the tts function (it resamples); every frame has this rate. */
  sampleRate: number;
  voice?: string;
  /** Synthesis requests open at once: the chunk playing and the ones prepared behind it. */
  prefetch: number;
  /** Frame length handed to the session; short frames make barge-in stop sooner. */
  frameMs: number;
  /**
   * Synthesise each chunk as soon as it is complete, while the LLM is still writing (true), or only once the
   * whole reply is written (false: the comparison point for what overlap buys).
   */
  overlap: boolean;
  /** Pre-synthesised fixed phrases (greeting, apology): served from memory, no tts call. */
  phrases?: PhraseCache;
  /** W3C trace context of the current turn, so tts spans join the turn's trace. */
  traceparent?: () => string | undefined;
  /** Called for each chunk sent and when its first audio arrives (per-turn metrics). */
  onChunk?: (timing: ChunkTiming) => void;
  /**
   * Called when synthesis fails. The stream then ends quietly instead of failing: agents-js closes a session
   * after a few TTS errors in a row, and a dead tts function must not end the conversation.
   */
  onError?: (error: Error) => void;
}

const DEFAULTS = { prefetch: 2, frameMs: 20, chunker: {}, overlap: true };

/** One chunk of a reply as it goes out as audio: its text and where its audio lies in the reply (seconds). */
export interface SpokenChunk {
  text: string;
  startSec: number;
  endSec: number;
}

/** How many recent replies' chunk maps are kept (a preemptive reply may be synthesised next to the one playing). */
const RECENT_REPLIES = 6;

export class PiperTTS extends tts.TTS {
  readonly label = 'arc.PiperTTS';
  readonly options: PiperTTSOptions;
  /** Chunk maps of the latest replies, newest last (see `chunksOf`). */
  readonly #recent: SpokenChunk[][] = [];

  constructor(options: Omit<PiperTTSOptions, keyof typeof DEFAULTS> & Partial<typeof DEFAULTS>) {
    super(options.sampleRate, 1, { streaming: true, alignedTranscript: true });
    this.options = { ...DEFAULTS, ...options };
  }

  override get model(): string {
    return this.options.voice ?? 'default';
  }

  override get provider(): string {
    return 'arc-tts';
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): tts.ChunkedStream {
    return new PiperChunkedStream(this, text, connOptions, abortSignal);
  }

  stream(options?: { connOptions?: APIConnectOptions }): PiperSynthesizeStream {
    return new PiperSynthesizeStream(this, options?.connOptions);
  }

  /**
   * The chunk map (text and audio extent of each chunk) of the latest reply whose chunks spell the start of
   * `text` (the reply's generated text): what lets an interrupted reply be cut to what was heard.
   */
  chunksOf(text: string): SpokenChunk[] | undefined {
    const want = squash(text);
    for (let i = this.#recent.length - 1; i >= 0; i--) {
      const chunks = this.#recent[i] as SpokenChunk[];
      const first = chunks[0];
      if (first && want.startsWith(squash(first.text))) return chunks;
    }
    return undefined;
  }

  /** @internal a stream started putting audio out */
  _track(chunks: SpokenChunk[]): void {
    this.#recent.push(chunks);
    if (this.#recent.length > RECENT_REPLIES) this.#recent.shift();
  }

  /** Streams one chunk's audio from the tts function as frames of `frameMs`; `onFirst` sees the first chunk's headers. */
  async *frames(
    text: string,
    requestId: string,
    signal: AbortSignal,
    onFirst?: (info: { handlerMs?: number; transport?: string }) => void,
  ): AsyncGenerator<AudioFrame> {
    const o = this.options;
    const audio = o.client.stream(
      'tts',
      { requestId, text, sampleRate: o.sampleRate, voice: o.voice },
      { signal, traceparent: o.traceparent?.() },
    );
    const framer = new FrameChunker(o.sampleRate, o.frameMs);
    const toFrame = (samples: Int16Array) => new AudioFrame(samples, o.sampleRate, 1, samples.length);
    let first = true;
    for await (const pcm of audio) {
      if (first) {
        first = false;
        const handler = Number(audio.headers[HDR_HANDLER_MS] ?? audio.headers[HDR_HANDLER_MS.toLowerCase()]);
        onFirst?.({ handlerMs: Number.isFinite(handler) ? handler : undefined, transport: audio.transport });
      }
      const rate = Number(audio.headers[HDR_SAMPLE_RATE] ?? audio.headers[HDR_SAMPLE_RATE.toLowerCase()]);
      if (rate !== o.sampleRate) {
        throw new ArcError('protocol_error', `tts sent ${rate} Hz audio, ${o.sampleRate} Hz was asked`);
      }
      for (const samples of framer.push(pcmFromBytes(pcm))) yield toFrame(samples);
    }
    const rest = framer.flush(false);
    if (rest) yield toFrame(rest);
  }
}

interface Job {
  timing: ChunkTiming;
  frames: AsyncQueue<AudioFrame>;
}

export class PiperSynthesizeStream extends tts.SynthesizeStream {
  readonly label = 'arc.PiperSynthesizeStream';
  readonly #tts: PiperTTS;

  constructor(owner: PiperTTS, connOptions?: APIConnectOptions) {
    // A retry would re-speak audio already played; the client already falls back across transports.
    super(owner, { ...(connOptions ?? DEFAULT_API_CONNECT_OPTIONS), maxRetry: 0 });
    this.#tts = owner;
  }

  protected async run(): Promise<void> {
    const o = this.#tts.options;
    const signal = this.abortController.signal;
    // One chunker per reply segment: each reply's first clause goes out at once.
    let chunker = new SpeakableChunker(o.chunker);
    const order = new AsyncQueue<Job | 'flush'>();
    const slots = new Semaphore(o.prefetch);
    const requestId = randomUUID();
    let index = 0;
    // Interrupted: stop waiting for more chunks (the in-flight tts streams see the same signal).
    signal.addEventListener('abort', () => order.end(), { once: true });

    const start = async (text: string) => {
      const cached = o.phrases?.get(text, o.sampleRate, o.voice);
      if (cached) {
        if (index === 0) this.markStarted();
        const now = performance.now();
        const timing: ChunkTiming = { requestId: `${requestId}-${index}`, index: index++, text, sentAt: now };
        o.onChunk?.(timing);
        timing.firstAudioAt = now;
        o.onChunk?.(timing);
        const frames = new AsyncQueue<AudioFrame>();
        for (const f of cached) frames.push(f);
        frames.end();
        order.push({ timing, frames });
        return;
      }
      const release = await slots.acquire(signal);
      if (index === 0) this.markStarted();
      const timing: ChunkTiming = {
        requestId: `${requestId}-${index}`,
        index: index++,
        text,
        sentAt: performance.now(),
      };
      o.onChunk?.(timing);
      const job: Job = { timing, frames: new AsyncQueue<AudioFrame>() };
      order.push(job);
      void (async () => {
        try {
          const onFirst = (info: { handlerMs?: number; transport?: string }) => Object.assign(timing, info);
          for await (const frame of this.#tts.frames(text, timing.requestId, signal, onFirst)) {
            if (timing.firstAudioAt === undefined) {
              timing.firstAudioAt = performance.now();
              o.onChunk?.(timing);
            }
            job.frames.push(frame);
          }
          job.frames.end();
        } catch (err) {
          job.frames.fail(err);
        } finally {
          release();
        }
      })();
    };

    // Without overlap, chunks wait here until the reply is fully written.
    let held: string[] = [];
    const ready = async (texts: string[], last: boolean) => {
      if (o.overlap) {
        for (const text of texts) await start(text);
        return;
      }
      held.push(...texts);
      if (!last) return;
      const all = held;
      held = [];
      for (const text of all) await start(text);
    };
    const produce = async () => {
      for await (const item of this.input) {
        if (signal.aborted) break;
        if (item === tts.SynthesizeStream.FLUSH_SENTINEL) {
          await ready(chunker.end(), true);
          chunker = new SpeakableChunker(o.chunker);
          order.push('flush');
        } else {
          await ready(chunker.push(item), false);
        }
      }
      await ready(chunker.end(), true);
      order.end();
    };

    const consume = async () => {
      let segmentId = randomUUID();
      let held: tts.SynthesizedAudio | undefined;
      let offset = 0;
      let spoken: SpokenChunk[] = [];
      this.#tts._track(spoken);
      const emit = (final: boolean) => {
        if (held) this.queue.put({ ...held, final });
        held = undefined;
      };
      for await (const job of order) {
        if (job === 'flush') {
          emit(true);
          segmentId = randomUUID();
          // The next segment is played (and its position reported) from zero.
          offset = 0;
          spoken = [];
          this.#tts._track(spoken);
          continue;
        }
        let first = true;
        const chunk: SpokenChunk = { text: job.timing.text, startSec: offset, endSec: offset };
        spoken.push(chunk);
        for await (const frame of job.frames) {
          emit(false);
          held = {
            requestId,
            segmentId,
            frame,
            final: false,
            ...(first
              ? {
                  deltaText: job.timing.text,
                  timedTranscripts: [voice.createTimedString({ text: job.timing.text, startTime: offset })],
                }
              : {}),
          };
          first = false;
          offset += frame.samplesPerChannel / frame.sampleRate;
          chunk.endSec = offset;
        }
      }
      emit(true);
      this.queue.put(tts.SynthesizeStream.END_OF_STREAM);
    };

    try {
      await Promise.all([produce(), consume()]);
    } catch (err) {
      if (signal.aborted) return;
      o.log.warn(
        { err: (err as Error).message, code: (err as ArcError).code },
        'tts failed; the reply stays text-only',
      );
      o.onError?.(err instanceof Error ? err : new Error(String(err)));
      this.queue.put(tts.SynthesizeStream.END_OF_STREAM);
    }
  }
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** One-shot synthesis (`session.say` of a fixed text goes through the stream; this serves `synthesize`). */
class PiperChunkedStream extends tts.ChunkedStream {
  readonly label = 'arc.PiperChunkedStream';
  readonly #tts: PiperTTS;

  constructor(owner: PiperTTS, text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal) {
    super(text, owner, { ...(connOptions ?? DEFAULT_API_CONNECT_OPTIONS), maxRetry: 0 }, abortSignal);
    this.#tts = owner;
  }

  protected async run(): Promise<void> {
    const requestId = randomUUID();
    const segmentId = randomUUID();
    let held: AudioFrame | undefined;
    for await (const frame of this.#tts.frames(this.inputText, requestId, this.abortSignal)) {
      if (held) this.queue.put({ requestId, segmentId, frame: held, final: false });
      held = frame;
    }
    if (held) this.queue.put({ requestId, segmentId, frame: held, final: true });
  }
}
