// Smart chunking of streamed LLM text into speakable pieces for TTS: at most 15 words, cut at sentence ends
// first, then at clause ends, never inside numbers, abbreviations or URLs. The first piece goes out at the
// first clause ("Sure." / "Okay,") so speech can start while the model is still writing.
import { endsClause, endsSentence, isWord, safeAtEnd } from './boundaries.js';

export interface ChunkerOptions {
  /** Most words in one chunk (the ADR's ≤ 15-word smart chunks). */
  maxWords: number;
  /** Cut the first chunk at its first clause end, however short (no minimum length). */
  eagerFirstClause: boolean;
}

export const DEFAULT_CHUNKER_OPTIONS: ChunkerOptions = { maxWords: 15, eagerFirstClause: true };

const TOKEN = /\S+/g;
/** Consumed text is dropped from the buffer once this much has piled up (keeps pushes O(new text)). */
const COMPACT_AT = 4096;

/**
 * Turns text deltas into speakable chunks. `push()` returns the chunks that became complete; `end()` the rest.
 * A chunk is complete when its boundary is followed by whitespace, or ends the text so far unambiguously.
 */
export class SpeakableChunker {
  private readonly options: ChunkerOptions;
  private buf = '';
  private start = 0;
  private emitted = 0;

  constructor(options: Partial<ChunkerOptions> = {}) {
    this.options = { ...DEFAULT_CHUNKER_OPTIONS, ...options };
    if (!(this.options.maxWords >= 1)) throw new RangeError('maxWords must be at least 1');
  }

  /** Chunks handed out so far. */
  get count(): number {
    return this.emitted;
  }

  push(delta: string): string[] {
    this.buf += delta;
    return this.drain(false);
  }

  /** The text has ended: everything left, in chunks. */
  end(): string[] {
    return this.drain(true);
  }

  private drain(final: boolean): string[] {
    const out: string[] = [];
    for (;;) {
      const cut = this.nextCut(final);
      if (cut < 0) break;
      const chunk = this.buf.slice(this.start, cut).trim();
      this.start = cut;
      if (isWord(chunk)) {
        out.push(chunk);
        this.emitted++;
      }
    }
    if (this.start >= COMPACT_AT || (final && this.start > 0)) {
      this.buf = this.buf.slice(this.start);
      this.start = 0;
    }
    return out;
  }

  /** End index of the next chunk, or -1 when none is complete yet. */
  private nextCut(final: boolean): number {
    const { maxWords, eagerFirstClause } = this.options;
    const eager = eagerFirstClause && this.emitted === 0;
    TOKEN.lastIndex = this.start;
    let words = 0;
    let lastClause = -1;
    for (let m = TOKEN.exec(this.buf); m !== null; m = TOKEN.exec(this.buf)) {
      const token = m[0];
      const end = m.index + token.length;
      const atEnd = end === this.buf.length;
      if (atEnd && !final) {
        // The token may still grow; cut here only where that cannot change the answer.
        if (words + (isWord(token) ? 1 : 0) > 0 && safeAtEnd(token)) {
          if (endsSentence(token) || (eager && endsClause(token))) return end;
        }
        return -1;
      }
      if (isWord(token)) words++;
      if (words === 0) continue; // leading punctuation joins the next chunk
      if (endsSentence(token) || /\n/.test(this.buf.slice(end, end + 2))) return end;
      if (endsClause(token)) {
        if (eager) return end;
        lastClause = end;
      }
      if (words >= maxWords) return lastClause > 0 ? lastClause : end;
    }
    return final && words > 0 ? this.buf.length : -1;
  }
}

/** Chunks of a whole text, lazily (a 100 KB text is cut as it is read, not all at once). */
export function* splitSpeakable(text: string, options: Partial<ChunkerOptions> = {}): Generator<string> {
  const chunker = new SpeakableChunker(options);
  // Feeding in slices keeps every scan short however long the text is.
  const SLICE = 1024;
  for (let at = 0; at < text.length; at += SLICE) yield* chunker.push(text.slice(at, at + SLICE));
  yield* chunker.end();
}

/** Chunks of a stream of text deltas (e.g. LLM tokens), each yielded as soon as it is complete. */
export async function* speakableChunks(
  deltas: AsyncIterable<string>,
  options: Partial<ChunkerOptions> = {},
): AsyncGenerator<string> {
  const chunker = new SpeakableChunker(options);
  for await (const delta of deltas) yield* chunker.push(delta);
  yield* chunker.end();
}
