// BERT WordPiece tokenizer (uncased), as all-MiniLM-L6-v2 and other sentence-transformers use it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Encoding {
  inputIds: number[];
  attentionMask: number[];
}

export interface WordPieceOptions {
  lowercase?: boolean;
  /** Sequence length at most, [CLS] and [SEP] included. */
  maxLength?: number;
}

/** Splits text into WordPiece ids: basic BERT pre-tokenisation, then greedy longest-match with `##` pieces. */
export class WordPieceTokenizer {
  private readonly cls: number;
  private readonly sep: number;
  private readonly unk: number;
  readonly pad: number;
  private readonly lowercase: boolean;
  private readonly maxLength: number;

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    options: WordPieceOptions = {},
  ) {
    const id = (t: string) => {
      const v = vocab.get(t);
      if (v === undefined) throw new Error(`vocabulary has no ${t} token`);
      return v;
    };
    this.cls = id('[CLS]');
    this.sep = id('[SEP]');
    this.unk = id('[UNK]');
    this.pad = vocab.get('[PAD]') ?? 0;
    this.lowercase = options.lowercase ?? true;
    this.maxLength = options.maxLength ?? 256;
  }

  /** Reads `tokenizer.json` (Hugging Face) or `vocab.txt` from a model folder. */
  static fromDirectory(dir: string, options: WordPieceOptions = {}): WordPieceTokenizer {
    const tokenizerJson = join(dir, 'tokenizer.json');
    if (existsSync(tokenizerJson)) {
      const spec = JSON.parse(readFileSync(tokenizerJson, 'utf8')) as {
        model?: { type?: string; vocab?: Record<string, number> };
        normalizer?: { lowercase?: boolean };
        truncation?: { max_length?: number } | null;
      };
      if (spec.model?.type !== 'WordPiece' || !spec.model.vocab) {
        throw new Error(`${tokenizerJson} is not a WordPiece tokenizer (model.type=${spec.model?.type})`);
      }
      return new WordPieceTokenizer(new Map(Object.entries(spec.model.vocab)), {
        lowercase: spec.normalizer?.lowercase ?? true,
        maxLength: spec.truncation?.max_length ?? 256,
        ...options,
      });
    }
    const vocabTxt = join(dir, 'vocab.txt');
    if (!existsSync(vocabTxt)) throw new Error(`no tokenizer.json or vocab.txt in ${dir}`);
    const lines = readFileSync(vocabTxt, 'utf8').split(/\r?\n/);
    return new WordPieceTokenizer(new Map(lines.filter((l) => l !== '').map((l, i) => [l, i])), options);
  }

  encode(text: string): Encoding {
    const ids = [this.cls];
    for (const word of this.preTokenize(text)) {
      for (const id of this.wordPiece(word)) {
        if (ids.length >= this.maxLength - 1) break;
        ids.push(id);
      }
    }
    ids.push(this.sep);
    return { inputIds: ids, attentionMask: ids.map(() => 1) };
  }

  /** Whitespace split, punctuation and CJK characters as their own words, optional lowercase + accent strip. */
  private preTokenize(text: string): string[] {
    let t = text.replace(/\p{Cc}|\ufffd/gu, ' ');
    if (this.lowercase)
      t = t
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '');
    const words: string[] = [];
    for (const chunk of t.split(/\s+/)) {
      let current = '';
      for (const ch of chunk) {
        if (/[\p{P}\p{S}]/u.test(ch) || /[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]/u.test(ch)) {
          if (current) words.push(current);
          words.push(ch);
          current = '';
        } else {
          current += ch;
        }
      }
      if (current) words.push(current);
    }
    return words;
  }

  private wordPiece(word: string): number[] {
    const chars = [...word];
    if (chars.length > 100) return [this.unk];
    const pieces: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        found = this.vocab.get(sub);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return [this.unk];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }
}
