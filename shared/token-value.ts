// Token values (rules.md §4.1): `tsr_` + base62(secret ‖ owner ref ‖ token id) + base62(CRC32).
//
// - secret: 36 bytes (288 bits) from the CSPRNG; the hint shows at most ~30 bits of it, so more
//   than 256 unknown bits remain even for someone who has seen the hint;
// - owner ref and token id (12 bytes each) let the authorizer fetch the token and its owner in
//   one BatchGetItem, with no scan and no second round trip;
// - CRC32 of everything before it, so scanners and the authorizer reject typos offline.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { base62Width, decodeBase62, encodeBase62 } from './base62.ts';
import { ID_BYTES, idFromBytes } from './ids.ts';

export const TOKEN_PREFIX = 'tsr_';
const SECRET_BYTES = 36;
const REF_BYTES = 12;
const PAYLOAD_BYTES = SECRET_BYTES + REF_BYTES + ID_BYTES;
const BODY_CHARS = base62Width(PAYLOAD_BYTES); // 81
const CHECK_CHARS = base62Width(4); // 6
export const TOKEN_VALUE_LENGTH = TOKEN_PREFIX.length + BODY_CHARS + CHECK_CHARS; // 91
const HINT_CHARS = TOKEN_PREFIX.length + 5;

/**
 * For secret scanners (GitHub secret scanning, gitleaks, trufflehog): a Tessera token value.
 * The last 6 characters are the base62 CRC32 of the rest, so matches can be checked offline.
 */
export const TOKEN_VALUE_REGEX = /\btsr_[0-9A-Za-z]{87}\b/;
const EXACT = /^tsr_[0-9A-Za-z]{87}$/;

export interface ParsedValue {
  tokenId: string;
  ownerRef: string;
}

const checksum = (text: string): string => {
  const crc = crc32(text) >>> 0;
  return encodeBase62(new Uint8Array([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]), CHECK_CHARS);
};

/** The 12-byte reference that keys a user's projection, derived from tenant and user id. */
export function ownerRefBytes(tenantId: string, userId: string): Buffer {
  return createHash('sha256').update(`${tenantId}\u0000${userId}`).digest().subarray(0, REF_BYTES);
}
export const ownerRefOf = (tenantId: string, userId: string): string => encodeBase62(ownerRefBytes(tenantId, userId));

export function tokenIdBytes(tokenId: string): Uint8Array {
  const bytes = decodeBase62(tokenId.slice(4), ID_BYTES);
  if (!bytes) throw new RangeError('not a token id');
  return bytes;
}

export function mintValue(tokenId: string, tenantId: string, userId: string): string {
  const payload = Buffer.concat([randomBytes(SECRET_BYTES), ownerRefBytes(tenantId, userId), tokenIdBytes(tokenId)]);
  const head = TOKEN_PREFIX + encodeBase62(payload, BODY_CHARS);
  return head + checksum(head);
}

/** Offline check: shape and checksum. Returns undefined for anything malformed; never throws. */
export function parseValue(value: unknown): ParsedValue | undefined {
  if (typeof value !== 'string' || value.length !== TOKEN_VALUE_LENGTH || !EXACT.test(value)) return undefined;
  const head = value.slice(0, TOKEN_PREFIX.length + BODY_CHARS);
  if (checksum(head) !== value.slice(head.length)) return undefined;
  const payload = decodeBase62(head.slice(TOKEN_PREFIX.length), PAYLOAD_BYTES);
  if (!payload) return undefined;
  return {
    ownerRef: encodeBase62(payload.subarray(SECRET_BYTES, SECRET_BYTES + REF_BYTES)),
    tokenId: idFromBytes('token', payload.subarray(SECRET_BYTES + REF_BYTES)),
  };
}

export const hintOf = (value: string): string => value.slice(0, HINT_CHARS);

/** What is stored for verification: SHA-256 of the value (256-bit random inputs need no slow hash). */
export const hashValue = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** Constant-time comparison of two stored-form hashes. */
export function hashesEqual(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a, 'base64url');
  const y = Buffer.from(b, 'base64url');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** Legacy credentials: the old system hands over SHA-256(secret) as hex. */
export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
export function hexHashesEqual(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^[0-9a-f]{64}$/.test(a) || !/^[0-9a-f]{64}$/.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/** A legacy token's id is derived from its UUID, so an import is idempotent by key. */
export const legacyTokenId = (uuid: string): string =>
  idFromBytes('token', createHash('sha256').update(`legacy\u0000${uuid.toLowerCase()}`).digest().subarray(0, ID_BYTES));
