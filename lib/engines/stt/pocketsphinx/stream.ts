// Streaming recognition: a decoder is taken from the warm pool when an utterance starts and fed audio as it
// arrives, so at end of speech only the end of the search remains (~10 ms in-process, ~85 ms with a process).
import { type APIConnectOptions, asLanguageCode, stt, VADEventType, type VADStream } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { checkFormat } from '../input.js';
import { SPHINX_RATE, type UtteranceDecoder } from './options.js';
import type { PocketSphinxSTT } from './stt.js';

interface Utterance {
  decoder: UtteranceDecoder;
  /** Stream position (seconds) where it started. */
  start: number;
  texts: string[];
  /** The open segment's latest hypothesis (in-process back end). */
  partial: string;
  /** The hypothesis already sent as a preflight in the current pause. */
  preflighted?: string;
}

/**
 * Events, per utterance: with a VAD, START_OF_SPEECH, a FINAL_TRANSCRIPT per decoder segment, END_OF_SPEECH
 * (all segments joined) and RECOGNITION_USAGE; without one, the FINAL_TRANSCRIPTs and usage (the decoder's
 * endpointer cuts segments; `flush()` ends the utterance now).
 */
export class PocketSphinxSpeechStream extends stt.SpeechStream {
  label = 'arc.PocketSphinxSpeechStream';
  private readonly engine: PocketSphinxSTT;
  private readonly vadStream: VADStream | undefined;
  private utterance: Utterance | undefined;
  private samplesSeen = 0;
  private vadClosed = false;

  constructor(engine: PocketSphinxSTT, connOptions?: APIConnectOptions) {
    super(engine, SPHINX_RATE, connOptions);
    this.engine = engine;
    this.vadStream = engine.options.vad?.stream();
  }

  /** Refuses stereo and narrow-band audio before the base class would quietly resample it. */
  override pushFrame(frame: AudioFrame): void {
    checkFormat(frame.sampleRate, frame.channels, SPHINX_RATE);
    super.pushFrame(frame);
  }

  override close(): void {
    super.close();
    this.closeVad();
    const open = this.utterance;
    this.utterance = undefined;
    if (open) void this.engine.discard(open.decoder);
  }

  protected async run(): Promise<void> {
    try {
      if (this.vadStream) await Promise.all([this.forwardToVad(this.vadStream), this.followVad(this.vadStream)]);
      else await this.decodeAll();
    } finally {
      const open = this.utterance;
      this.utterance = undefined;
      if (open) await this.engine.discard(open.decoder);
    }
  }

  /** No VAD: everything goes to one decoder until a flush or the end of input. */
  private async decodeAll(): Promise<void> {
    for await (const item of this.input) {
      if (item === stt.SpeechStream.FLUSH_SENTINEL) {
        await this.endUtterance();
        continue;
      }
      if (!this.utterance) await this.beginUtterance(false);
      this.feed(item.data);
    }
    await this.endUtterance();
  }

  private async forwardToVad(vad: VADStream): Promise<void> {
    for await (const item of this.input) {
      // A flush means the caller decided the turn has ended: finish now rather than wait for the VAD.
      if (item === stt.SpeechStream.FLUSH_SENTINEL) await this.endUtterance();
      else vad.pushFrame(item);
    }
    // End of input ends the utterance as a flush does. (VADStream.endInput() throws in agents 1.9: it closes
    // a writable stream its own writer still locks; close() ends the event loop below instead.)
    await this.endUtterance();
    this.closeVad();
  }

  private closeVad(): void {
    if (this.vadClosed || !this.vadStream) return;
    this.vadClosed = true;
    this.vadStream.close();
  }

  private async followVad(vad: VADStream): Promise<void> {
    for await (const ev of vad) {
      if (ev.type === VADEventType.START_OF_SPEECH) {
        await this.beginUtterance(true);
        for (const f of ev.frames) this.feed(f.data, false);
      } else if (ev.type === VADEventType.INFERENCE_DONE && ev.speaking) {
        for (const f of ev.frames) this.feed(f.data);
        this.maybePreflight(ev.rawAccumulatedSilence);
      } else if (ev.type === VADEventType.END_OF_SPEECH) {
        await this.endUtterance(Date.now() - ev.silenceDuration);
      } else if (ev.type === VADEventType.INFERENCE_DONE) {
        this.samplesSeen += ev.frames.reduce((n, f) => n + f.samplesPerChannel, 0);
      }
    }
    await this.endUtterance();
  }

  /**
   * A pause inside speech: the words so far are probably the turn. Sending them once per pause lets the
   * session start the reply now (preemptive generation); the final transcript confirms or replaces it.
   */
  private maybePreflight(silenceMs: number): void {
    const u = this.utterance;
    const after = this.engine.options.preflightSilenceMs;
    if (!u || after === undefined) return;
    if (silenceMs < after) {
      u.preflighted = undefined; // speech resumed: a later pause may preflight again
      return;
    }
    // Only the open segment: agents-js prepends the finals it already has for this turn.
    const text = u.partial.trim();
    if (!text || text === u.preflighted) return;
    u.preflighted = text;
    this.put(stt.SpeechEventType.PREFLIGHT_TRANSCRIPT, text, u);
  }

  private feed(samples: Int16Array, advance = true): void {
    if (advance) this.samplesSeen += samples.length;
    const u = this.utterance;
    if (u?.decoder.alive) u.decoder.write(samples);
  }

  private async beginUtterance(announce: boolean): Promise<void> {
    await this.endUtterance();
    const decoder = await this.engine.pool.take();
    const u: Utterance = { decoder, start: this.samplesSeen / SPHINX_RATE, texts: [], partial: '' };
    decoder.onSegment((text) => {
      u.texts.push(text);
      u.partial = '';
      this.put(stt.SpeechEventType.FINAL_TRANSCRIPT, text, u);
    });
    // Interim transcripts carry the open segment's growing hypothesis (in-process back end only).
    decoder.onPartial((text) => {
      u.partial = text;
      this.put(stt.SpeechEventType.INTERIM_TRANSCRIPT, text, u);
    });
    this.utterance = u;
    if (announce) this.send({ type: stt.SpeechEventType.START_OF_SPEECH });
  }

  private async endUtterance(speechEndTime?: number): Promise<void> {
    const u = this.utterance;
    if (!u) return;
    this.utterance = undefined;
    try {
      await u.decoder.finish(this.abortSignal);
    } catch (error) {
      if (!this.abortSignal.aborted) this.engine.reportError(error); // one failed decoder loses one utterance
      return;
    } finally {
      this.engine.release(u.decoder);
    }
    if (this.vadStream) {
      this.send({
        type: stt.SpeechEventType.END_OF_SPEECH,
        speechEndTime,
        alternatives: [this.data(u.texts.join(' '), u)],
      });
    }
    this.send({
      type: stt.SpeechEventType.RECOGNITION_USAGE,
      requestId: u.decoder.id,
      recognitionUsage: { audioDuration: u.decoder.audioSeconds },
    });
  }

  private put(type: stt.SpeechEventType, text: string, u: Utterance): void {
    this.send({ type, requestId: u.decoder.id, alternatives: [this.data(text, u)] });
  }

  /** Events after close() have nobody to go to. */
  private send(event: stt.SpeechEvent): void {
    if (!this.queue.closed) this.queue.put(event);
  }

  private data(text: string, u: Utterance): stt.SpeechData {
    return {
      language: asLanguageCode(this.engine.options.language),
      text,
      startTime: this.startTimeOffset + u.start,
      endTime: this.startTimeOffset + this.samplesSeen / SPHINX_RATE,
      confidence: 0, // pocketsphinx_continuous does not print one
    };
  }
}
