import { describe, expect, it } from 'vitest';
import { SUBJECTS } from '../subjects.js';
import { brainRequest, CONTRACTS, sessionWriteRequest, ttsRequest } from './index.js';

describe('contracts', () => {
  it('name each function after its folder and subject', () => {
    for (const [name, c] of Object.entries(CONTRACTS)) {
      expect(c.name).toBe(name);
      expect(c.subject).toBe(SUBJECTS[name as keyof typeof SUBJECTS]);
    }
    expect(CONTRACTS.tts.mode).toBe('stream');
    expect(CONTRACTS.embed.mode).toBe('unary');
  });

  it('brain: refuses empty and oversize text, and ids that cannot be subject tokens', () => {
    const ok = { requestId: 'r1', sessionId: 's1', userId: 'alice@example.com', text: 'What is my name?' };
    expect(brainRequest.safeParse(ok).success).toBe(true);
    expect(brainRequest.safeParse({ ...ok, text: '   ' }).success).toBe(false);
    expect(brainRequest.safeParse({ ...ok, text: 'x'.repeat(100_000) }).success).toBe(false);
    expect(brainRequest.safeParse({ ...ok, sessionId: 'a.b' }).success).toBe(false);
    expect(brainRequest.safeParse({ ...ok, userId: 'a\u0000b' }).success).toBe(false);
    expect(brainRequest.safeParse({ ...ok, text: 'مرحبا 👋 שלום' }).success).toBe(true);
  });

  it('tts: known sample rates only', () => {
    expect(ttsRequest.safeParse({ requestId: 'r', text: 'hi', sampleRate: 16000 }).success).toBe(true);
    expect(ttsRequest.safeParse({ requestId: 'r', text: 'hi', sampleRate: 12345 }).success).toBe(false);
  });

  it('session.write: a discriminated union with idempotency keys, recordings inline xor by uri', () => {
    const base = { eventId: 'e1', sessionId: 's1' };
    const at = '2026-11-25T10:00:00.000Z';
    expect(sessionWriteRequest.safeParse({ kind: 'session-start', ...base, userId: 'u', startTime: at }).success).toBe(
      true,
    );
    expect(
      sessionWriteRequest.safeParse({ kind: 'turn', ...base, userId: 'u', role: 'user', text: 'hi', createdAt: at })
        .success,
    ).toBe(true);
    expect(
      sessionWriteRequest.safeParse({ kind: 'turn', ...base, userId: 'u', role: 'bot', text: 'hi', createdAt: at })
        .success,
    ).toBe(false);
    expect(
      sessionWriteRequest.safeParse({ kind: 'recording', ...base, mime: 'audio/wav', createdAt: at }).success,
    ).toBe(false);
    expect(
      sessionWriteRequest.safeParse({
        kind: 'recording',
        ...base,
        mime: 'audio/wav',
        uri: 'file:///x.wav',
        createdAt: at,
      }).success,
    ).toBe(true);
    expect(sessionWriteRequest.safeParse({ kind: 'nope', ...base }).success).toBe(false);
  });
});
