// What every part of the local gateway (gateway.ts, local-routes.ts, static.ts) does with HTTP:
// decode a path segment as API Gateway does, and write a JSON answer.
import type { ServerResponse } from 'node:http';
import { ValidationError } from '../shared/errors.ts';

export function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ValidationError('The path is not validly percent-encoded.');
  }
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined || body === '' ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}
