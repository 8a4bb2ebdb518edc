// The synthesis pipeline every engine shares: cut the text into speakable chunks, synthesise them one after
// another at most one ahead of the listener, then trim leading silence, resample and cut into bounded chunks.
import { LeadingSilenceTrimmer, samplesFor } from '../../audio/level.js';
import { splitPcm } from '../../audio/pcm.js';
import { Resampler } from '../../audio/resample.js';
import { ArcError } from '../../protocol/errors.js';
import { splitSpeakable } from '../../text/chunker.js';
import { AsyncQueue } from '../../util/async-queue.js';
import type { SentenceSynthesizer, SynthesizeOptions, TtsChunk } from './types.js';

export const DEFAULT_MAX_CHUNK_MS = 200;

// Control characters and lone surrogates are never speakable; other symbols are left to each engine.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const UNSPEAKABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ud800-\udfff\ufffe\uffff]/g;

/** Text as engines should see it: control characters gone, and something left that can be said. */
export function speakableText(text: string, keep: RegExp = /[\p{L}\p{N}]/u): string {
  const clean = text.normalize('NFC').replace(UNSPEAKABLE, ' ');
  if (!keep.test(clean)) {
    throw new ArcError('invalid_request', 'text has nothing speakable (no letters or digits the voice can say)');
  }
  return clean;
}

interface Piece {
  sentence: number;
  samples: Int16Array;
}

/**
 * Streams `text` through `synth`, one speakable chunk at a time. Chunk k is synthesised only once the listener
 * has started on chunk k − 1, so memory holds at most about two chunks of audio whatever the text's length.
 */
export async function* streamSpeech(
  text: string,
  nativeRate: number,
  synth: SentenceSynthesizer,
  options: SynthesizeOptions = {},
): AsyncGenerator<TtsChunk> {
  const outRate = options.sampleRate ?? nativeRate;
  const maxSamples = Math.max(1, samplesFor(options.maxChunkMs ?? DEFAULT_MAX_CHUNK_MS, outRate));
  const trimmer = options.trimLeadingSilence === false ? undefined : new LeadingSilenceTrimmer(nativeRate);
  const resampler = outRate === nativeRate ? undefined : new Resampler(nativeRate, outRate);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const queue = new AsyncQueue<Piece>();
  let listenerAt = -1;
  let wakeProducer: (() => void) | undefined;
  signal.addEventListener('abort', () => wakeProducer?.(), { once: true });

  const produce = async () => {
    let index = 0;
    for (const sentence of splitSpeakable(text)) {
      while (listenerAt < index - 1 && !signal.aborted) await new Promise<void>((r) => (wakeProducer = r));
      if (signal.aborted) return;
      options.onEvent?.({ type: 'sentence_start', index, text: sentence });
      let n = 0;
      for await (const samples of synth(sentence, index, signal)) {
        if (signal.aborted) return;
        n += samples.length;
        queue.push({ sentence: index, samples });
      }
      // A chunk that made no sound still moves the listener on, or the next would wait for it forever.
      if (n === 0) queue.push({ sentence: index, samples: new Int16Array(0) });
      options.onEvent?.({ type: 'sentence_end', index, samples: n });
      index++;
    }
  };
  const producing = produce().then(
    () => queue.end(),
    (err) => queue.fail(err),
  );

  const emit = function* (sentence: number, samples: Int16Array): Generator<TtsChunk> {
    const audible = trimmer ? trimmer.push(samples) : samples;
    const out = resampler ? resampler.push(audible) : audible;
    if (out.length === 0) return;
    for (const part of splitPcm(out, maxSamples)) {
      if (signal.aborted) return; // cancel takes effect within one chunk
      yield { samples: part, sampleRate: outRate, sentence };
    }
  };

  let last = 0;
  try {
    for await (const piece of queue) {
      if (signal.aborted) return;
      if (piece.sentence > listenerAt) {
        listenerAt = piece.sentence;
        wakeProducer?.();
      }
      last = piece.sentence;
      yield* emit(piece.sentence, piece.samples);
    }
    if (resampler && !signal.aborted) {
      const tail = resampler.flush();
      if (tail.length > 0) yield { samples: tail, sampleRate: outRate, sentence: last };
    }
  } catch (err) {
    if (signal.aborted) return; // an abort is a quiet end, not an error
    throw err;
  } finally {
    // The listener stopped (finished, broke off or aborted): stop the engine and reap its processes.
    stop.abort();
    wakeProducer?.();
    await producing;
  }
}

/** The `unknown_voice` error, listing what the engine does have. */
export function unknownVoice(engine: string, voice: string, voices: readonly string[], defaultVoice: string): ArcError {
  const shown = voices.length > 12 ? `${voices.slice(0, 12).join(', ')}, …` : voices.join(', ');
  return new ArcError(
    'unknown_voice',
    `${engine} has no voice "${voice}" (default "${defaultVoice}"; ${voices.length} voices: ${shown})`,
    { details: { voice, voices, defaultVoice } },
  );
}
