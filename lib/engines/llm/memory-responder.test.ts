import { describe, expect, it } from 'vitest';
import type { Memory } from '../../protocol/index.js';
import { answer, MemoryResponder, NO_LLM_NOTE, toSecondPerson } from './memory-responder.js';

const mem = (text: string, similarity: number, role: 'user' | 'assistant' = 'user'): Memory => ({
  id: text,
  sessionId: 's',
  role,
  text,
  similarity,
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('memory responder', () => {
  it('recalls a name from any memory that states it, not only the top one', () => {
    expect(answer('What is my name?', [mem('I like tea.', 0.5), mem('Call me Ishmael.', 0.3)])).toBe(
      'Your name is Ishmael. You told me that earlier.',
    );
    expect(answer('who am I', [mem('I like tea.', 0.5)])).toBe('You have not told me your name yet.');
    expect(answer('What is my name?', [mem('My name is Ada and I live in Porto.', 0.5)])).toMatch(
      /^Your name is Ada\./,
    );
    expect(answer('What is my name?', [mem('my name is Alice Moreau.', 0.5)])).toMatch(/^Your name is Alice Moreau\./);
  });

  it('"what did I tell you about X" picks the memory mentioning X, in the second person', () => {
    const memories = [mem('My car is blue.', 0.6), mem('My sister Clara is a marine biologist.', 0.4)];
    expect(answer('What did I tell you about my sister?', memories)).toBe(
      'You told me that your sister Clara is a marine biologist.',
    );
  });

  it('answers a general question only from a related statement, never from an earlier question', () => {
    expect(answer('Where do I live?', [mem('Where do I live?', 0.99), mem('I live in Lisbon.', 0.44)])).toBe(
      'Here is what you told me that seems related: you live in Lisbon.',
    );
    expect(answer('Where do I live?', [mem('I like tea.', 0.2)])).toBe('I do not know that yet.');
    expect(answer('Where do I live?', [mem('You live in Paris.', 0.9, 'assistant')])).toBe('I do not know that yet.');
  });

  it('acknowledges a statement', () => {
    expect(answer('I was born in March.', [])).toBe("Got it. I'll remember that.");
  });

  it('streams word deltas that end with the plain no-LLM note', async () => {
    const deltas: string[] = [];
    for await (const d of new MemoryResponder().generate({
      messages: [],
      userText: 'Hello there.',
      memories: [],
      signal: new AbortController().signal,
    }))
      deltas.push(d);
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(`Got it. I'll remember that. ${NO_LLM_NOTE}`);
  });

  it('second person swap', () => {
    expect(toSecondPerson("I'm tired and my dog misses me")).toBe('you are tired and your dog misses you.');
  });
});
