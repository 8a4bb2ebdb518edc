// /function/<name>[/…]: the functions' HTTP fallback through the gateway, as the OpenFaaS gateway routes it.
//   POST /function/<name>          → invoke (the body and the reply stream through untouched)
//   GET  /function/<name>/_/ready  → that function's readiness (also /_/health)
import { type Context, Hono } from 'hono';
import { ArcError, FUNCTION_NAMES, HDR_ERROR, HDR_REQUEST_ID, HDR_TRACEPARENT } from '../lib/protocol/index.js';
import { type BasicCredentials, basicAuthChecker, WWW_AUTHENTICATE } from '../lib/runtime/basic-auth.js';
import { errorJson } from './http-error.js';

/** Where a function's HTTP endpoint lives: the URL for a path under it (`''` = invoke). */
export type FunctionRoute = (name: string, path: string) => string | undefined;

/** Headers passed to the function and back; hop-by-hop and cookie headers are not. */
const FORWARD_REQUEST = ['content-type', 'accept', 'authorization', HDR_REQUEST_ID, HDR_TRACEPARENT].map((h) =>
  h.toLowerCase(),
);
const FORWARD_RESPONSE = ['content-type', 'cache-control', HDR_ERROR, 'arc-replica', 'arc-sample-rate', HDR_REQUEST_ID];

/**
 * `auth`: as the OpenFaaS gateway with basic auth on, invocations need these credentials (checked here and passed
 * on, so a function that checks them too sees them); readiness and health stay open for probes.
 */
export function functionProxy(route: FunctionRoute, maxBodyBytes: number, auth?: BasicCredentials): Hono {
  const app = new Hono();
  const known = new Set<string>(FUNCTION_NAMES);
  const checkAuth = auth ? basicAuthChecker(auth) : undefined;

  const forward = async function forwardToFunction(c: Context) {
    const name = c.req.param('name') ?? '';
    const rest = c.req.path.slice(`/function/${name}`.length);
    if (!known.has(name)) {
      return errorJson(c, new ArcError('not_found', `no function "${name}" (functions: ${FUNCTION_NAMES.join(', ')})`));
    }
    const invoke = rest === '' || rest === '/';
    if (invoke ? c.req.method !== 'POST' : c.req.method !== 'GET' || !/^\/_\/(ready|health)$/.test(rest)) {
      return errorJson(c, new ArcError('not_found', `no route ${c.req.method} ${c.req.path}`));
    }
    const refused = invoke ? checkAuth?.(c.req.header('authorization')) : undefined;
    if (refused) {
      c.header('WWW-Authenticate', WWW_AUTHENTICATE);
      return errorJson(c, refused);
    }
    const target = route(name, invoke ? '' : rest);
    if (!target) return errorJson(c, new ArcError('unavailable', `function ${name} has no HTTP route here`));
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > maxBodyBytes) {
      return errorJson(c, new ArcError('payload_too_large', `body of ${declared} bytes exceeds ${maxBodyBytes}`));
    }
    const headers = new Headers();
    for (const h of FORWARD_REQUEST) {
      const v = c.req.header(h);
      if (v) headers.set(h, v);
    }
    try {
      const body = invoke ? await limitedBody(c.req.raw, maxBodyBytes) : undefined;
      const res = await fetch(target, { method: c.req.method, headers, body, signal: c.req.raw.signal });
      const out = new Headers();
      for (const h of FORWARD_RESPONSE) {
        const v = res.headers.get(h);
        if (v) out.set(h, v);
      }
      return new Response(res.body, { status: res.status, headers: out });
    } catch (err) {
      if (err instanceof ArcError) return errorJson(c, err);
      return errorJson(c, new ArcError('unavailable', `function ${name} is unreachable: ${(err as Error).message}`));
    }
  };
  app.all('/function/:name', forward);
  app.all('/function/:name/*', forward);
  return app;
}

/** Reads a request body up to `limit` bytes (chunked bodies have no Content-Length to check up front). */
async function limitedBody(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (!req.body) return undefined;
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new ArcError('payload_too_large', `body exceeds ${limit} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
