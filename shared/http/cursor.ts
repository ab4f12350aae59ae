// List cursors: opaque, authenticated with the deployment's cursor key (HMAC-SHA-256,
// shared/crypto/mac.ts), bound to what they page through (tenant, caller, query) and good for
// 24 hours on the service clock. A cursor says only where the next page starts; what it is bound
// to is not in it, only in its MAC. Tampered, expired, foreign or malformed: 400 VALIDATION.
import { ValidationError } from '../errors.ts';
import { getConfig } from '../config.ts';
import { mac, MAC_NEEDS, macKeys, macMatches } from '../crypto/mac.ts';

export const CURSOR_TTL_MS = 24 * 3600_000;
const TAG_BYTES = 16;
const VERSION = 'c1';

/** Everything a cursor is bound to: the list (e.g. "tokens"), tenant, caller and each query field. */
export interface CursorScope {
  list: string;
  tenantId: string;
  userId: string;
  query: Record<string, string | number | undefined>;
}

const scopeParts = (s: CursorScope): string[] => [
  s.list,
  s.tenantId,
  s.userId,
  ...Object.keys(s.query)
    .filter((k) => s.query[k] !== undefined)
    .sort()
    .map((k) => `${k}=${s.query[k] ?? ''}`),
];

/** What making and reading a cursor needs (shared/grants.ts). */
export const CURSOR_NEEDS = { encodeCursor: MAC_NEEDS.macKeys, decodeCursor: MAC_NEEDS.macKeys } as const;

const invalid = (message: string) => new ValidationError(`The cursor is not valid for this list: ${message}.`, [{ path: 'query.cursor', message }]);

/** A cursor for the page that starts after `position`. */
export async function encodeCursor(scope: CursorScope, position: string): Promise<string> {
  const [key] = await macKeys('cursor');
  const expires = Math.floor((getConfig().clock.now() + CURSOR_TTL_MS) / 1000).toString(36);
  const body = `${VERSION}.${expires}.${Buffer.from(position, 'utf8').toString('base64url')}`;
  return `${body}.${mac(key, ...scopeParts(scope), body).subarray(0, TAG_BYTES).toString('base64url')}`;
}

/** The position a cursor names, if it was made by this deployment for this scope and is not expired. */
export async function decodeCursor(scope: CursorScope, cursor: string, isPosition: (p: string) => boolean): Promise<string> {
  const parts = cursor.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) throw invalid('not a cursor');
  const [, expires, position64, tag64] = parts;
  const tag = Buffer.from(tag64, 'base64url');
  const body = parts.slice(0, 3).join('.');
  // Only the canonical spelling: base64url's last character has spare bits that decode alike.
  if (tag.toString('base64url') !== tag64 || tag.length !== TAG_BYTES || !macMatches(await macKeys('cursor'), tag, ...scopeParts(scope), body)) {
    throw invalid('not a cursor of this list');
  }
  if (parseInt(expires, 36) * 1000 <= getConfig().clock.now()) throw invalid('expired; list again from the first page');
  const position = Buffer.from(position64, 'base64url').toString('utf8');
  if (!isPosition(position)) throw invalid('not a cursor of this list');
  return position;
}
