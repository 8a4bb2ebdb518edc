import { describe, expect, it } from 'vitest';
import { SpeakableChunker, speakableChunks, splitSpeakable } from './chunker.js';

const words = (s: string) => s.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
const all = (text: string) => [...splitSpeakable(text)];

describe('SpeakableChunker', () => {
  it('hands a short first clause to TTS at once, with no minimum length', () => {
    const c = new SpeakableChunker();
    expect(c.push('Sure.')).toEqual(['Sure.']);
    const d = new SpeakableChunker();
    expect(d.push('Okay, so')).toEqual(['Okay,']);
    expect(d.push(' the plan is simple. We go')).toEqual(['so the plan is simple.']);
    expect(d.end()).toEqual(['We go']);
  });

  it('cuts at sentence ends first; commas only when a sentence runs past 15 words', () => {
    const text =
      'Hello there. This sentence, which has a comma, is short enough. ' +
      'But this one keeps going and going with many words, far more than fifteen of them, before it finally ends.';
    const chunks = all(text);
    expect(chunks).toEqual([
      'Hello there.',
      'This sentence, which has a comma, is short enough.',
      'But this one keeps going and going with many words,',
      'far more than fifteen of them, before it finally ends.',
    ]);
  });

  it('never puts more than 15 words in a chunk, even without punctuation', () => {
    const text = Array.from({ length: 50 }, (_, i) => `word${i}`).join(' ');
    const chunks = all(text);
    expect(chunks.map(words)).toEqual([15, 15, 15, 5]);
    expect(chunks.join(' ')).toBe(text);
  });

  it('never cuts inside numbers, abbreviations, initials or URLs', () => {
    const text =
      'Dr. Smith measured 3.14 metres, e.g. in the lab at 5 p.m. on Jan. 3. ' +
      'See https://example.com/a.b?c=1,2 or www.example.org. It cost $1,000.50 in the U.S. today. J. K. Rowling agrees.';
    const chunks = all(text);
    const joined = chunks.join(' | ');
    for (const intact of [
      'Dr. Smith',
      '3.14',
      'e.g. in',
      'p.m. on',
      'https://example.com/a.b?c=1,2',
      '$1,000.50',
      'U.S. today',
      'J. K. Rowling',
    ]) {
      expect(joined).toContain(intact);
    }
    expect(chunks[0]).toBe('Dr. Smith measured 3.14 metres,');
  });

  it('waits while a streamed number, decimal or URL may still continue', () => {
    const c = new SpeakableChunker({ eagerFirstClause: false });
    expect(c.push('It costs 3.')).toEqual([]);
    expect(c.push('14 dollars, or 1,')).toEqual([]);
    expect(c.push('000 cents. Next')).toEqual(['It costs 3.14 dollars, or 1,000 cents.']);
    // LLM tokenizers send ".com" as one token, so a domain arrives as "example" + ".com …".
    expect(c.push(' visit example')).toEqual([]);
    expect(c.push('.com/x.')).toEqual([]); // a URL may go on
    expect(c.push(' Then')).toEqual(['Next visit example.com/x.']);
  });

  it('gives the same chunks whether the text comes whole or token by token', async () => {
    const text =
      'Okay, so, here is the answer. The meeting is on Thursday at 3.30 p.m., in room 4, with Dr. Jones. ' +
      'Bring the report and the slides, the budget, the notes from last week and anything else you think we need to discuss.';
    async function* tokens() {
      for (const piece of text.match(/\S+\s*|\s+/g) ?? []) {
        for (let i = 0; i < piece.length; i += 3) yield piece.slice(i, i + 3);
      }
    }
    const streamed: string[] = [];
    for await (const chunk of speakableChunks(tokens())) streamed.push(chunk);
    expect(streamed).toEqual(all(text));
    expect(streamed[0]).toBe('Okay,');
    expect(streamed.every((c) => words(c) <= 15)).toBe(true);
  });

  it('cuts at line breaks (lists) and drops pieces with nothing to say', () => {
    expect(all('Steps:\n- open the box\n- take it out\n\n😀 ...')).toEqual([
      'Steps:',
      '- open the box',
      '- take it out',
    ]);
    expect(all('   ')).toEqual([]);
  });

  it('cuts a 100 KB text into chunks quickly and lazily', () => {
    const sentence = 'The quick brown fox, who was 3.5 years old, jumped over the lazy dog near St. Mary’s church. ';
    const text = sentence.repeat(Math.ceil(100_000 / sentence.length));
    const gen = splitSpeakable(text);
    expect(gen.next().value).toBe('The quick brown fox,');
    let n = 1;
    for (const chunk of gen) {
      expect(words(chunk)).toBeLessThanOrEqual(15);
      n++;
    }
    expect(n).toBeGreaterThan(1000);
  });
});
