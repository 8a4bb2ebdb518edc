import { describe, expect, it } from 'vitest';
import { parseSse } from './sse.js';

async function* bytes(...parts: string[]) {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function all(it: AsyncIterable<{ data: string; event?: string }>) {
  const out = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('parseSse', () => {
  it('joins events split across chunks and CRLF lines; skips comments', async () => {
    const events = await all(
      parseSse(bytes('data: {"a"', ':1}\r\n\r\n: ping\n\nevent: x\ndata: l1\ndata: l2\n\n', 'data: [DONE]\n\n')),
    );
    expect(events).toEqual([
      { event: undefined, data: '{"a":1}' },
      { event: 'x', data: 'l1\nl2' },
      { event: undefined, data: '[DONE]' },
    ]);
  });

  it('decodes multi-byte characters split between chunks', async () => {
    const euro = new TextEncoder().encode('data: €\n\n');
    async function* split() {
      yield euro.slice(0, 7);
      yield euro.slice(7);
    }
    expect(await all(parseSse(split()))).toEqual([{ event: undefined, data: '€' }]);
  });
});
