import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WordPieceTokenizer } from './wordpiece.js';

const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  'my',
  'name',
  'is',
  'ali',
  '##ce',
  '.',
  'cafe',
  '!',
  '你',
  'un',
  '##believ',
  '##able',
];
const vocab = new Map(VOCAB.map((t, i) => [t, i]));
const ids = (...tokens: string[]) => tokens.map((t) => vocab.get(t));

describe('WordPieceTokenizer', () => {
  const tok = new WordPieceTokenizer(vocab);

  it('wraps in [CLS] … [SEP], lowercases, splits punctuation and sub-words', () => {
    expect(tok.encode('My name is Alice.').inputIds).toEqual(
      ids('[CLS]', 'my', 'name', 'is', 'ali', '##ce', '.', '[SEP]'),
    );
  });

  it('strips accents, maps unknown words to [UNK], splits CJK characters', () => {
    expect(tok.encode('Café xyz! 你').inputIds).toEqual(ids('[CLS]', 'cafe', '[UNK]', '!', '你', '[SEP]'));
  });

  it('greedy longest match across ## pieces', () => {
    expect(tok.encode('unbelievable').inputIds).toEqual(ids('[CLS]', 'un', '##believ', '##able', '[SEP]'));
  });

  it('truncates to maxLength with [SEP] kept last', () => {
    const short = new WordPieceTokenizer(vocab, { maxLength: 4 });
    const e = short.encode('my name is alice');
    expect(e.inputIds).toEqual(ids('[CLS]', 'my', 'name', '[SEP]'));
    expect(e.attentionMask).toEqual([1, 1, 1, 1]);
  });

  it('reads vocab.txt and tokenizer.json layouts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-'));
    writeFileSync(join(dir, 'vocab.txt'), `${VOCAB.join('\n')}\n`);
    expect(WordPieceTokenizer.fromDirectory(dir).encode('my name').inputIds).toEqual(
      ids('[CLS]', 'my', 'name', '[SEP]'),
    );
    const dir2 = mkdtempSync(join(tmpdir(), 'wp-'));
    writeFileSync(
      join(dir2, 'tokenizer.json'),
      JSON.stringify({
        model: { type: 'WordPiece', vocab: Object.fromEntries(vocab) },
        normalizer: { lowercase: true },
      }),
    );
    expect(WordPieceTokenizer.fromDirectory(dir2).encode('MY name').inputIds).toEqual(
      ids('[CLS]', 'my', 'name', '[SEP]'),
    );
  });
});
