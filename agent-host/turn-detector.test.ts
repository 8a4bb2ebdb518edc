import { llm } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { TranscriptTurnDetector, unfinishedReason } from './turn-detector.js';

describe('unfinishedReason', () => {
  it.each([
    ['i would like to book a table for', 'ends with "for"'],
    ['add milk and', 'ends with "and"'],
    ['my number is five five five', 'dictating a number (3 number words)'],
    ['remind me to call um', 'ends with "um"'],
    ['what is the', 'ends with "the"'],
    ['remind me to call', 'ends with "to call"'],
  ])('"%s" reads unfinished: %s', (text, reason) => {
    expect(unfinishedReason(text)).toBe(reason);
  });

  it.each([
    'what is my name',
    'book a table for two',
    'thank you',
    'set a timer for ten minutes',
    '',
    'two',
    'tell me what i like to drink',
    'where do i need to go',
  ])('"%s" reads finished', (text) => {
    expect(unfinishedReason(text)).toBeUndefined();
  });
});

describe('TranscriptTurnDetector', () => {
  it('scores the last user message of the chat context against its threshold', async () => {
    const d = new TranscriptTurnDetector();
    const ctx = new llm.ChatContext();
    ctx.addMessage({ role: 'user', content: 'tell me about' });
    expect(await d.predictEndOfTurn(ctx)).toBeLessThan(await d.unlikelyThreshold());
    ctx.addMessage({ role: 'user', content: 'tell me about black holes' });
    expect(await d.predictEndOfTurn(ctx)).toBeGreaterThan(await d.unlikelyThreshold());
  });
});
