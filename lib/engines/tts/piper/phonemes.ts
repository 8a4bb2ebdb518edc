// Text → espeak-ng IPA phonemes (the `phonemizer` package: espeak-ng compiled to WASM) → Piper phoneme ids,
// exactly as piper-phonemize maps them: BOS, PAD, then each phoneme's ids followed by PAD, then EOS.
import { ArcError } from '../../../protocol/errors.js';

export const PAD = '_';
export const BOS = '^';
export const EOS = '$';

type Phonemize = (text: string, language?: string) => Promise<string[]>;
let phonemizer: Promise<Phonemize> | undefined;

/** Loads the espeak-ng WASM once per process (~300 ms), so it is paid at warm-up, not by a request. */
export function loadPhonemizer(): Promise<Phonemize> {
  phonemizer ??= import('phonemizer').then((m) => m.phonemize as Phonemize);
  return phonemizer;
}

/** Clause punctuation Piper keeps as phonemes (espeak's clause terminators). */
const CLAUSE_PUNCTUATION = /([,;:.!?]+)(?=\s|$)/g;

/**
 * Phonemes of one speakable chunk, one Unicode code point each. espeak returns one IPA string per clause
 * without its punctuation; Piper voices were trained with the punctuation kept, so it is put back from the text.
 */
export async function phonemize(text: string, espeakVoice: string): Promise<string[]> {
  const run = await loadPhonemizer();
  let clauses: string[];
  try {
    clauses = await run(text, espeakVoice);
  } catch (err) {
    throw new ArcError('unknown_voice', `espeak-ng cannot phonemise with voice "${espeakVoice}"`, { cause: err });
  }
  const marks = [...text.matchAll(CLAUSE_PUNCTUATION)].map((m) => (m[1] as string).slice(-1));
  const parts: string[] = [];
  clauses.forEach((clause, i) => {
    const mark = marks.length === clauses.length ? marks[i] : i === clauses.length - 1 ? marks.at(-1) : undefined;
    parts.push(mark ? `${clause.trim()}${mark}` : clause.trim());
  });
  return [...parts.join(' ')];
}

export interface PhonemeIds {
  ids: number[];
  /** Phonemes the voice has no id for (skipped, as Piper does), with counts. */
  missing: Map<string, number>;
}

/** Piper's phonemes_to_ids with interspersed padding, BOS and EOS. */
export function phonemesToIds(phonemes: readonly string[], idMap: ReadonlyMap<string, number[]>): PhonemeIds {
  const get = (p: string) => idMap.get(p) ?? [];
  const pad = get(PAD);
  const ids = [...get(BOS), ...pad];
  const missing = new Map<string, number>();
  for (const p of phonemes) {
    const mapped = idMap.get(p);
    if (!mapped) {
      missing.set(p, (missing.get(p) ?? 0) + 1);
      continue;
    }
    ids.push(...mapped, ...pad);
  }
  ids.push(...get(EOS));
  return { ids, missing };
}
