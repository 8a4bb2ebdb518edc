import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { unaryContract } from './contract.js';
import { ArcError } from './errors.js';
import { decodeRequest, encodeJson, formatSse, SseParser } from './wire.js';

const contract = unaryContract({
  name: 't',
  subject: 't',
  description: 't',
  request: z.object({ text: z.string().min(1), n: z.number().int().optional() }),
  response: z.object({}),
  maxRequestBytes: 100,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as ArcError).code;
  }
  return undefined;
}

describe('decodeRequest', () => {
  it('accepts a valid body', () => {
    expect(decodeRequest(contract, encodeJson({ text: 'hi', n: 2 }))).toEqual({ text: 'hi', n: 2 });
  });
  it('types each kind of bad body', () => {
    expect(codeOf(() => decodeRequest(contract, new Uint8Array(101)))).toBe('payload_too_large');
    expect(codeOf(() => decodeRequest(contract, new Uint8Array([0xff, 0xfe])))).toBe('bad_request');
    expect(codeOf(() => decodeRequest(contract, new TextEncoder().encode('  ')))).toBe('bad_request');
    expect(codeOf(() => decodeRequest(contract, new TextEncoder().encode('{"text"')))).toBe('bad_request');
    expect(codeOf(() => decodeRequest(contract, encodeJson({ text: '', n: 1.5 })))).toBe('invalid_request');
  });
  it('names every failing field', () => {
    try {
      decodeRequest(contract, encodeJson({ text: '', n: 'x' }));
    } catch (e) {
      expect((e as ArcError).message).toMatch(/text: .*; n: /);
      expect((e as ArcError).details).toMatchObject({ issues: [{ path: 'text' }, { path: 'n' }] });
    }
  });
});

describe('SSE', () => {
  it('round-trips events split at any byte', () => {
    const text =
      formatSse({ event: 'chunk', id: '0', data: '{"a":1}' }) +
      formatSse({ event: 'chunk', id: '1', data: 'two\nlines' }) +
      formatSse({ event: 'end', id: '2', data: '' });
    for (let cut = 1; cut < text.length; cut += 7) {
      const p = new SseParser();
      const events = [...p.feed(text.slice(0, cut)), ...p.feed(text.slice(cut))];
      expect(events).toEqual([
        { event: 'chunk', id: '0', data: '{"a":1}' },
        { event: 'chunk', id: '1', data: 'two\nlines' },
        { event: 'end', id: '2', data: '' },
      ]);
      expect(p.pending).toBe('');
    }
  });
  it('ignores comments and keeps an unfinished event pending', () => {
    const p = new SseParser();
    expect(p.feed(': keep-alive\n\nevent: chunk\ndata: x')).toEqual([]);
    expect(p.pending).toBe('event: chunk\ndata: x');
  });
});

describe('ArcError', () => {
  it('round-trips over the wire and refuses unknown codes', () => {
    const e = new ArcError('unknown_voice', 'no voice "x"', { details: { voice: 'x' } });
    expect(ArcError.fromWire(JSON.parse(JSON.stringify(e.toWire())))).toMatchObject({
      code: 'unknown_voice',
      message: 'no voice "x"',
      details: { voice: 'x' },
    });
    expect(ArcError.fromWire({ code: 'made_up', message: 'x' }).code).toBe('protocol_error');
    expect(e.status).toBe(422);
    expect(new ArcError('busy', 'b').retryable).toBe(true);
  });
});
