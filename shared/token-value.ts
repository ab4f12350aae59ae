// Token values (rules.md §4.1). Two formats, told apart by length; both are accepted.
//
// Tagged (issued now), 113 characters:
//   `tsr_` + base62(secret ‖ owner ref ‖ token id ‖ minted at ‖ tag) + base62(CRC32)
// Untagged (issued before value tags; still accepted), 91 characters:
//   `tsr_` + base62(secret ‖ owner ref ‖ token id) + base62(CRC32)
//
// - secret: 36 bytes (288 bits) from the CSPRNG; the hint shows at most ~30 bits of it, so more
//   than 256 unknown bits remain even for someone who has seen the hint;
// - owner ref and token id (12 bytes each) let the authorizer fetch the token and its owner in
//   one BatchGetItem, with no scan and no second round trip;
// - minted at: epoch seconds (4 bytes), so the authorizer knows whether a store read can still be
//   too early to see the value (README "Cheap refusals");
// - tag: the first 12 bytes of HMAC-SHA-256 under the deployment's value-tag key
//   (shared/crypto/mac.ts) of everything before it, so the authorizer refuses a value this
//   deployment did not mint without reading the store;
// - CRC32 of everything before it, so scanners and the authorizer reject typos offline.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { base62Width, decodeBase62, encodeBase62 } from './base62.ts';
import { ID_BYTES, idFromBytes } from './ids.ts';

export const TOKEN_PREFIX = 'tsr_';
const SECRET_BYTES = 36;
const REF_BYTES = 12;
const MINTED_BYTES = 4;
const TAG_BYTES = 12;
const UNTAGGED_BYTES = SECRET_BYTES + REF_BYTES + ID_BYTES;
const SIGNED_BYTES = UNTAGGED_BYTES + MINTED_BYTES;
const TAGGED_BYTES = SIGNED_BYTES + TAG_BYTES;
const CHECK_CHARS = base62Width(4); // 6
const UNTAGGED_BODY = base62Width(UNTAGGED_BYTES); // 81
const TAGGED_BODY = base62Width(TAGGED_BYTES); // 103
/** The length of the values issued now. */
export const TOKEN_VALUE_LENGTH = TOKEN_PREFIX.length + TAGGED_BODY + CHECK_CHARS; // 113
/** The length of the untagged values issued before, still accepted. */
export const UNTAGGED_VALUE_LENGTH = TOKEN_PREFIX.length + UNTAGGED_BODY + CHECK_CHARS; // 91
const HINT_CHARS = TOKEN_PREFIX.length + 5;

/**
 * For secret scanners (GitHub secret scanning, gitleaks, trufflehog): a Tessera token value, of
 * either format. The last 6 characters are the base62 CRC32 of the rest, so matches can be
 * checked offline.
 */
export const TOKEN_VALUE_REGEX = /\btsr_(?:[0-9A-Za-z]{109}|[0-9A-Za-z]{87})\b/;
const EXACT = /^tsr_[0-9A-Za-z]+$/;

export interface ParsedValue {
  tokenId: string;
  ownerRef: string;
  /** Tagged values: when it was minted (epoch ms, whole seconds), and what the tag covers. */
  tagged?: { mintedAtMs: number; signed: Uint8Array; tag: Uint8Array };
}

/** What minting a tagged value needs: the signing value-tag key and the service clock's now. */
export interface ValueTagging {
  key: Buffer;
  nowMs: number;
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

const TAG_DOMAIN = Buffer.from('tsr-tag-v1\u0000');

/** The tag of the signed part of a tagged value under `key`. */
export const valueTagOf = (key: Buffer, signed: Uint8Array): Buffer =>
  createHmac('sha256', key).update(TAG_DOMAIN).update(signed).digest().subarray(0, TAG_BYTES);

function encode(payload: Uint8Array, bodyChars: number): string {
  const head = TOKEN_PREFIX + encodeBase62(payload, bodyChars);
  return head + checksum(head);
}

/** A new value for a token: tagged under the deployment's current value-tag key. */
export function mintValue(tokenId: string, tenantId: string, userId: string, tagging: ValueTagging): string {
  const minted = Buffer.alloc(MINTED_BYTES);
  minted.writeUInt32BE(Math.floor(tagging.nowMs / 1000));
  const signed = Buffer.concat([randomBytes(SECRET_BYTES), ownerRefBytes(tenantId, userId), tokenIdBytes(tokenId), minted]);
  return encode(Buffer.concat([signed, valueTagOf(tagging.key, signed)]), TAGGED_BODY);
}

/**
 * A value in the untagged format that earlier versions issued. Tessera no longer mints these;
 * tests and benchmarks use it to stand for values already in clients' hands.
 */
export function mintUntaggedValue(tokenId: string, tenantId: string, userId: string): string {
  return encode(Buffer.concat([randomBytes(SECRET_BYTES), ownerRefBytes(tenantId, userId), tokenIdBytes(tokenId)]), UNTAGGED_BODY);
}

/**
 * Offline check: shape and checksum, either format. Returns undefined for anything malformed;
 * never throws. A tagged value's tag is checked by tagIsValid(), which needs the keys.
 */
export function parseValue(value: unknown): ParsedValue | undefined {
  if (typeof value !== 'string') return undefined;
  const tagged = value.length === TOKEN_VALUE_LENGTH;
  if ((!tagged && value.length !== UNTAGGED_VALUE_LENGTH) || !EXACT.test(value)) return undefined;
  const head = value.slice(0, value.length - CHECK_CHARS);
  if (checksum(head) !== value.slice(head.length)) return undefined;
  const payload = decodeBase62(head.slice(TOKEN_PREFIX.length), tagged ? TAGGED_BYTES : UNTAGGED_BYTES);
  if (!payload) return undefined;
  const parsed: ParsedValue = {
    ownerRef: encodeBase62(payload.subarray(SECRET_BYTES, SECRET_BYTES + REF_BYTES)),
    tokenId: idFromBytes('token', payload.subarray(SECRET_BYTES + REF_BYTES, UNTAGGED_BYTES)),
  };
  if (tagged) {
    const minted = Buffer.from(payload.subarray(UNTAGGED_BYTES, SIGNED_BYTES)).readUInt32BE();
    parsed.tagged = { mintedAtMs: minted * 1000, signed: payload.subarray(0, SIGNED_BYTES), tag: payload.subarray(SIGNED_BYTES) };
  }
  return parsed;
}

/** True when a tagged value's tag was made under one of `keys` (every key is tried, in constant time each). */
export function tagIsValid(parsed: ParsedValue, keys: readonly Buffer[]): boolean {
  if (!parsed.tagged) return false;
  let ok = false;
  for (const key of keys) if (timingSafeEqual(valueTagOf(key, parsed.tagged.signed), parsed.tagged.tag)) ok = true;
  return ok;
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
