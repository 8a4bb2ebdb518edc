// Serves the built web client (dist/web): `/` → index.html, `/memory` → memory.html, other files by name.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { MiddlewareHandler } from 'hono';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wav': 'audio/wav',
};

const PAGES: Record<string, string> = { '/': 'index.html', '/memory': 'memory.html' };

export function serveWeb(webRoot: string): MiddlewareHandler {
  const root = resolve(webRoot);
  return async function staticFile(c, next) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const path = c.req.path;
    const file = resolve(root, `.${decodeSafe(PAGES[path] ? `/${PAGES[path]}` : path)}`);
    // Nothing outside the web root (../ and encoded variants), and only known file types.
    if (!file.startsWith(root + sep) || !TYPES[extname(file)] || !existsSync(file) || !statSync(file).isFile()) {
      if (PAGES[path]) {
        return c.text('The web client is not built: run `npm run build` (npm start does it).', 503);
      }
      return next();
    }
    const headers = {
      'Content-Type': TYPES[extname(file)] as string,
      'Cache-Control': extname(file) === '.html' ? 'no-cache' : 'public, max-age=300',
      'X-Content-Type-Options': 'nosniff',
    };
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    return c.body(Readable.toWeb(createReadStream(file)) as ReadableStream, 200, headers);
  };
}

function decodeSafe(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return '/\0';
  }
}
