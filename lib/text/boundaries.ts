// Where speech may pause: sentence and clause ends, told apart from the dots and commas inside numbers,
// abbreviations, initials and URLs.

/** Abbreviations whose final dot does not end a sentence (lower case, without the dot). */
export const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'mt',
  'ft',
  'vs',
  'etc',
  'eg',
  'ie',
  'cf',
  'al',
  'approx',
  'inc',
  'ltd',
  'co',
  'corp',
  'dept',
  'est',
  'fig',
  'no',
  'vol',
  'gen',
  'gov',
  'sen',
  'rep',
  'rev',
  'capt',
  'lt',
  'col',
  'sgt',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'sun',
]);

const TRAILING_CLOSERS = /["'”’)\]}»]+$/u;
const LEADING_OPENERS = /^["'“‘([{«]+/u;
const URL_LIKE = /:\/\/|^www\.|@|^[\w-]+(\.[\w-]+)+\/?/i;
const HAS_WORD = /[\p{L}\p{N}]/u;

/** True when the token carries something to say (a letter or a digit). */
export function isWord(token: string): boolean {
  return HAS_WORD.test(token);
}

function bare(token: string): string {
  return token.replace(TRAILING_CLOSERS, '').replace(LEADING_OPENERS, '');
}

/** The token ends a sentence: . ! ? … (not an abbreviation, an initial or a dotted acronym like "e.g."). */
export function endsSentence(token: string): boolean {
  const t = bare(token);
  if (/[!?…]$/u.test(t) || t.endsWith('...')) return true;
  if (!t.endsWith('.')) return false;
  const word = t.slice(0, -1);
  if (word === '') return false;
  if (ABBREVIATIONS.has(word.toLowerCase().replace(/\./g, ''))) return false;
  if (/^\p{L}$/u.test(word)) return false; // an initial: "J. K. Rowling"
  if (/^(\p{L}{1,2}\.)+\p{L}{1,2}$/u.test(word)) return false; // "e.g", "U.S", "a.m", "Ph.D"
  return true;
}

/** The token ends a clause: , ; : or a dash. */
export function endsClause(token: string): boolean {
  const t = bare(token);
  return /[,;:]$/.test(t) || /^[—–-]+$/.test(t) || t.endsWith('—');
}

/**
 * Whether a boundary at the very end of the text so far can be trusted before the next character arrives.
 * "Sure." or "Okay," can: nothing follows a letter's full stop or comma without a space in prose. "3." or
 * "1," cannot (the stream may go on "3.14", "1,000"), nor can anything that looks like a URL or address.
 */
export function safeAtEnd(token: string): boolean {
  const t = bare(token);
  if (t.endsWith('...')) return false; // "..", "..." may still grow
  const before = t.at(-2);
  if (before === undefined || !/\p{L}/u.test(before)) return false;
  return !URL_LIKE.test(t.slice(0, -1));
}
