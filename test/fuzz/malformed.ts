// Malformed requests for a function, drawn by fast-check from a valid one: raw bytes, non-JSON text, truncations,
// any JSON, a field missing or of the wrong type, hostile keys, oversize strings, deep nesting. Only inputs the
// contract's schema refuses are kept, so every one must be answered with a typed error.
import fc from 'fast-check';
import type { AnyContract } from '../../lib/protocol/index.js';

const encoder = new TextEncoder();

/** Is this body one the function would accept? (Then it is not malformed, and the fuzz skips it.) */
export function acceptable(contract: AnyContract, bytes: Uint8Array): boolean {
  if (bytes.byteLength > contract.maxRequestBytes) return false;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return false;
  }
  return contract.request.safeParse(value).success;
}

/** An arbitrary of request bodies built around `valid` (one request the contract accepts). */
export function malformedBodies(valid: Record<string, unknown>): fc.Arbitrary<Uint8Array> {
  const keys = Object.keys(valid);
  const json = (v: unknown) => encoder.encode(JSON.stringify(v));
  const validBytes = json(valid);
  const field = fc.constantFrom(...keys);
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom('', ' ', '\u0000', '*', '>', 'a.b', '../../etc/passwd', '<script>', '\ud800', 'x'.repeat(20_000)),
    fc.constantFrom(-1, 0, 1e308, -0, Number.MAX_SAFE_INTEGER + 2),
  );
  return fc.oneof(
    fc.uint8Array({ maxLength: 512 }),
    fc.string({ maxLength: 256 }).map((s) => encoder.encode(s)),
    fc.nat({ max: validBytes.byteLength - 1 }).map((n) => validBytes.slice(0, n)),
    fc.jsonValue({ maxDepth: 4 }).map(json),
    field.map((k) => json(Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k)))),
    fc.tuple(field, value).map(([k, v]) => json({ ...valid, [k]: v })),
    fc.tuple(field, value).map(([k, v]) => json({ ...valid, [k]: [v, v] })),
    fc
      .constantFrom('__proto__', 'constructor', 'prototype')
      .map((k) => encoder.encode(`${JSON.stringify(valid).slice(0, -1)},"${k}":{"polluted":true},"requestId":7}`)),
    fc.integer({ min: 1_000, max: 50_000 }).map((d) => encoder.encode(`${'['.repeat(d)}${']'.repeat(d)}`)),
    fc.integer({ min: 1_000, max: 20_000 }).map((d) => encoder.encode(`${'{"a":'.repeat(d)}1${'}'.repeat(d)}`)),
    // Valid JSON with a byte that breaks UTF-8 inside a string.
    fc.nat({ max: 5 }).map((i) => {
      const b = json({ ...valid, [keys[i % keys.length] as string]: 'ab' });
      const at = b.indexOf(0x61); // the "a" of "ab"
      const out = b.slice();
      if (at >= 0) out[at] = 0xff;
      return out;
    }),
  );
}

/** `n` malformed bodies for `contract`, reproducible from `seed`. */
export function sampleMalformed(
  contract: AnyContract,
  valid: Record<string, unknown>,
  n: number,
  seed: number,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  const arb = malformedBodies(valid);
  for (let round = 0; out.length < n && round < 20; round++) {
    for (const b of fc.sample(arb, { numRuns: n, seed: seed + round })) {
      if (!acceptable(contract, b)) out.push(b);
      if (out.length === n) break;
    }
  }
  return out;
}

/** Header values for the NATS side: request ids and trace contexts a hostile or broken caller might send. */
export const hostileHeaderValues = [
  '',
  '*',
  '>',
  'a.b.c',
  'x'.repeat(4_000),
  '00-zzzz-zzzz-01',
  '00-00000000000000000000000000000000-0000000000000000-00',
  '\u00e9\u00e9',
  '1e9',
  '-5',
  '9999999',
];
