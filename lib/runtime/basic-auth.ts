// HTTP Basic credentials as the OpenFaaS gateway checks them: one user and password, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ArcError } from '../protocol/index.js';

export interface BasicCredentials {
  user: string;
  password: string;
}

/** The `Authorization` header value that carries these credentials. */
export function basicAuthHeader(c: BasicCredentials): string {
  return `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;
}

/**
 * A checker of `Authorization` headers: undefined when they grant access, else the typed `unauthorized` error.
 * Hashing both sides first makes the comparison constant-time whatever the lengths.
 */
export function basicAuthChecker(
  expected: BasicCredentials,
): (header: string | null | undefined) => ArcError | undefined {
  const want = digest(basicAuthHeader(expected));
  return function checkBasicAuth(header) {
    if (!header) return new ArcError('unauthorized', 'credentials required (HTTP Basic)');
    if (!timingSafeEqual(digest(header.trim()), want)) return new ArcError('unauthorized', 'wrong credentials');
    return undefined;
  };
}

/** What a 401 says about how to authenticate. */
export const WWW_AUTHENTICATE = 'Basic realm="arc-functions", charset="UTF-8"';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
