// Audio of the fixed phrases (greeting, apology), synthesised once per host and replayed from memory, so they
// start at once and never wait on (or fail with) the tts function.
import type { AudioFrame } from '@livekit/rtc-node';
import type { Logger } from '../../lib/log.js';
import { splitSpeakable } from '../../lib/text/chunker.js';

/** Frames of one speakable chunk, keyed by voice, rate and text. */
export class PhraseCache {
  private readonly phrases = new Map<string, AudioFrame[]>();

  static key(text: string, sampleRate: number, voice?: string): string {
    return `${voice ?? ''}|${sampleRate}|${text.trim()}`;
  }

  get(text: string, sampleRate: number, voice?: string): AudioFrame[] | undefined {
    return this.phrases.get(PhraseCache.key(text, sampleRate, voice));
  }

  get size(): number {
    return this.phrases.size;
  }

  /**
   * Synthesises each phrase chunk by chunk, as a reply would be cut, so the same chunks hit the cache later.
   * Failures are logged and skipped: a cold phrase is only slower, never missing.
   */
  async warm(
    phrases: readonly string[],
    opts: { sampleRate: number; voice?: string; log: Logger },
    synthesize: (text: string) => AsyncIterable<AudioFrame>,
  ): Promise<void> {
    for (const phrase of phrases) {
      for (const chunk of splitSpeakable(phrase)) {
        const key = PhraseCache.key(chunk, opts.sampleRate, opts.voice);
        if (this.phrases.has(key)) continue;
        try {
          const frames: AudioFrame[] = [];
          for await (const f of synthesize(chunk)) frames.push(f);
          this.phrases.set(key, frames);
        } catch (err) {
          opts.log.warn({ chunk, err: (err as Error).message }, 'phrase not cached; it will be synthesised when said');
        }
      }
    }
  }
}
