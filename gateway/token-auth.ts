// Who may ask for a LiveKit token: an API key (GATEWAY_API_KEYS) or a pluggable hook that knows the caller.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ArcError } from '../lib/protocol/index.js';

/** What an auth hook says about a request: refused (throw or return null), or allowed, maybe as one identity. */
export interface TokenPrincipal {
  /** When set, the token is for this identity only: a request naming another one is `forbidden`. */
  identity?: string;
}

/**
 * A pluggable check (session cookie, OIDC bearer, mTLS header…). Return a principal to allow, `null` to refuse
 * with `unauthorized`; throw an ArcError to refuse with its own code.
 */
export type TokenAuthHook = (req: Request) => Promise<TokenPrincipal | null> | TokenPrincipal | null;

/**
 * The check the token route runs: the hook when given; else the API keys when configured (`Authorization:
 * Bearer <key>` or `X-Api-Key`); else open (the embedded default, still rate limited).
 */
export function tokenAuth(apiKeys: readonly string[], hook?: TokenAuthHook): (req: Request) => Promise<TokenPrincipal> {
  if (hook) {
    return async function authByHook(req) {
      const principal = await hook(req);
      if (!principal) throw new ArcError('unauthorized', 'not signed in');
      return principal;
    };
  }
  if (apiKeys.length === 0) return async () => ({});
  const digests = apiKeys.map(digest);
  return async function authByApiKey(req) {
    const auth = req.headers.get('authorization');
    const key = auth?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? req.headers.get('x-api-key') ?? undefined;
    if (!key) throw new ArcError('unauthorized', 'an API key is required (Authorization: Bearer <key>)');
    const d = digest(key);
    // Every key compared, constant time each: neither which key nor how much of it matched leaks.
    let ok = false;
    for (const want of digests) ok = timingSafeEqual(d, want) || ok;
    if (!ok) throw new ArcError('unauthorized', 'unknown API key');
    return {};
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
