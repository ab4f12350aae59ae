// The console's static files (web/dist), served from the gateway's own origin with the headers
// the deployed console gets. Only GET, and only files inside the root.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { decodeSegment } from './http-io.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon',
};

/** Answers the request with a file under webRoot (`/` is index.html); false when there is none. */
export function serveStatic(webRoot: string | undefined, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (!webRoot || req.method !== 'GET' || !existsSync(webRoot)) return false;
  const root = resolve(webRoot);
  const wanted = url.pathname === '/' ? '/index.html' : url.pathname;
  const file = normalize(join(root, decodeSegment(wanted)));
  if (!(file === root || file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) return false;
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-cache',
    'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(readFileSync(file));
  return true;
}
