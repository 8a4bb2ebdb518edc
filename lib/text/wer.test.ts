import { describe, expect, it } from 'vitest';
import { normaliseWords, wordEdits, wordErrorRate } from './wer.js';

describe('word error rate', () => {
  it('counts substitutions, deletions and insertions', () => {
    expect(wordEdits(['a', 'b', 'c'], ['a', 'b', 'c'])).toBe(0);
    expect(wordEdits(['a', 'b', 'c'], ['a', 'x', 'c'])).toBe(1);
    expect(wordEdits(['a', 'b', 'c'], ['a', 'c'])).toBe(1);
    expect(wordEdits(['a', 'b'], ['a', 'b', 'c', 'd'])).toBe(2);
    expect(wordEdits([], ['a'])).toBe(1);
  });

  it('normalises case, punctuation and small numbers before comparing', () => {
    expect(normaliseWords('Set a timer for 10 minutes, please!')).toEqual([
      'set',
      'a',
      'timer',
      'for',
      'ten',
      'minutes',
      'please',
    ]);
    const r = wordErrorRate([
      { ref: 'Turn on the lights.', hyp: 'turn on the light' },
      { ref: 'Call Mom', hyp: 'call mom' },
    ]);
    expect(r).toEqual({ errors: 1, words: 6, wer: 1 / 6 });
  });
});
