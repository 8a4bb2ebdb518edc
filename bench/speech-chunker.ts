// Chunker part of bench/speech: where the first speakable chunk becomes available in streamed LLM output,
// ours (≤ 15 words, eager first clause) vs agents-js's basic sentence tokenizer (min 20 characters).
import { tokenize } from '@livekit/agents';
import { SpeakableChunker } from '../lib/text/chunker.js';
import { formatTable } from './stats.js';

/** Long replies of the kinds an assistant gives. */
export const LLM_OUTPUTS = [
  'Sure. The quickest way to get there is to take the northern line to Camden Town, then walk about ten minutes east along the canal; you will see the market on your left, and the entrance is just past the bridge. If you prefer the bus, the 24 stops right outside.',
  'Okay, so, here is how it works: every night at 2 a.m. the backup job copies the database to the storage bucket, compresses it with gzip, and keeps the last 14 copies. If a copy fails, e.g. because the disk is full, you get an email from Dr. Ops at ops@example.com with the error.',
  'The short answer is that it depends on how much traffic you expect and how many of your users are in Europe versus North America, because latency between regions adds up quickly when every request has to cross the ocean twice. A single region is simpler to run.',
  'Well, 3.14 is only an approximation of pi, which has infinitely many digits after the decimal point; for most engineering work 3.14159 is plenty, and NASA uses about 15 digits for interplanetary navigation. You would need far fewer for a garden.',
];

/** LLM-like tokens: words split into pieces of at most 4 characters, spaces attached to the next piece. */
function tokens(text: string): string[] {
  const out: string[] = [];
  for (const word of text.match(/\s*\S+/g) ?? [])
    for (let i = 0; i < word.length; i += 4) out.push(word.slice(i, i + 4));
  return out;
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const TOKEN_MS = 20;

async function agentsFirst(text: string): Promise<{ tokens: number; chunk: string }> {
  const stream = new tokenize.basic.SentenceTokenizer().stream();
  const toks = tokens(text);
  let pushed = 0;
  let first: { tokens: number; chunk: string } | undefined;
  const reading = (async () => {
    for await (const ev of stream) {
      first ??= { tokens: pushed, chunk: ev.token };
    }
  })();
  for (const t of toks) {
    stream.pushText(t);
    pushed++;
    await new Promise((r) => setImmediate(r));
    if (first) break;
  }
  if (!first) stream.flush();
  stream.endInput();
  await reading;
  stream.close();
  return first ?? { tokens: toks.length, chunk: text };
}

function oursFirst(text: string): { tokens: number; chunk: string; chunks: number; maxWords: number } {
  const chunker = new SpeakableChunker();
  const all: string[] = [];
  let first: { tokens: number; chunk: string } | undefined;
  tokens(text).forEach((t, i) => {
    const out = chunker.push(t);
    if (!first && out[0]) first = { tokens: i + 1, chunk: out[0] };
    all.push(...out);
  });
  all.push(...chunker.end());
  const f = first ?? { tokens: tokens(text).length, chunk: all[0] ?? '' };
  return { ...f, chunks: all.length, maxWords: Math.max(...all.map(words)) };
}

export async function benchChunker(): Promise<string> {
  const rows: string[][] = [];
  for (const text of LLM_OUTPUTS) {
    const ours = oursFirst(text);
    const theirs = await agentsFirst(text);
    const label = `${text.slice(0, 28)}… (${words(text)} words)`;
    rows.push([
      label,
      `${words(ours.chunk)} w / ${ours.tokens * TOKEN_MS} ms: "${ours.chunk.slice(0, 24)}"`,
      `${words(theirs.chunk)} w / ${theirs.tokens * TOKEN_MS} ms: "${theirs.chunk.slice(0, 24)}"`,
      `${ours.chunks} / ${ours.maxWords}`,
    ]);
  }
  return formatTable(
    [
      'LLM output',
      `ours: first chunk (words / at ${TOKEN_MS} ms per token)`,
      'agents basic tokenizer: first sentence',
      'our chunks / max words',
    ],
    rows,
  );
}
