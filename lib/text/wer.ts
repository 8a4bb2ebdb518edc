// Word error rate: how far a transcript is from what was said (substitutions + deletions + insertions over
// the number of reference words), after normalising case, punctuation and spelled-out digits.

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** Lower-case words without punctuation; single digits spelled out, as recognisers output them. */
export function normaliseWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => (/^\d+$/.test(w) && Number(w) <= 10 ? (DIGITS[Number(w)] as string) : w));
}

/** Edit distance between two word lists (Levenshtein over words). */
export function wordEdits(ref: readonly string[], hyp: readonly string[]): number {
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const row = [i];
    for (let j = 1; j <= hyp.length; j++) {
      const cost = ref[i - 1] === hyp[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[hyp.length] as number;
}

/** Word errors and reference words over several utterances (WER = errors / words). */
export function wordErrorRate(pairs: readonly { ref: string; hyp: string }[]): {
  errors: number;
  words: number;
  wer: number;
} {
  let errors = 0;
  let words = 0;
  for (const { ref, hyp } of pairs) {
    const r = normaliseWords(ref);
    errors += wordEdits(r, normaliseWords(hyp));
    words += r.length;
  }
  return { errors, words, wer: words === 0 ? 0 : errors / words };
}
