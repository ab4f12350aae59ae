// The token value formats (rules.md §4.1, shared/token-value.ts): tagged,
// `tsr_` + base62(secret ‖ owner ref ‖ token id ‖ minted at ‖ tag) + base62(CRC32), and the
// untagged one issued before, `tsr_` + base62(secret ‖ owner ref ‖ token id) + base62(CRC32).
// Pure functions only: no store, no clock.
import fc from 'fast-check';
import { createHmac, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { base62Width, decodeBase62, encodeBase62 } from '../../shared/base62.ts';
import { newId, TOKEN_ID_PATTERN } from '../../shared/ids.ts';
import {
  hashesEqual,
  hashValue,
  hexHashesEqual,
  hintOf,
  legacyTokenId,
  mintUntaggedValue,
  mintValue,
  ownerRefOf,
  parseValue,
  sha256Hex,
  tagIsValid,
  TOKEN_PREFIX,
  TOKEN_VALUE_LENGTH,
  TOKEN_VALUE_REGEX,
  UNTAGGED_VALUE_LENGTH,
} from '../../shared/token-value.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PAYLOAD_BYTES = 36 + 12 + 12; // secret, owner ref, token id (untagged)
const BODY_CHARS = 81;
const TAGGED_PAYLOAD_BYTES = PAYLOAD_BYTES + 4 + 12; // + minted at, tag
const TAGGED_BODY_CHARS = 103;
const KEY = randomBytes(32);
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const tagging = { key: KEY, nowMs: NOW };

/** The documented checksum, computed independently of the module: base62 of the CRC32 of the rest. */
function documentedChecksum(head: string): string {
  const crc = crc32(head) >>> 0;
  const bytes = new Uint8Array([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]);
  return encodeBase62(bytes, 6);
}

/** A well-formed value around an arbitrary payload, checksummed as documented. */
function valueAround(payload: Uint8Array): string {
  const head = TOKEN_PREFIX + encodeBase62(payload, BODY_CHARS);
  return head + documentedChecksum(head);
}

const mint = () => {
  const tokenId = newId('token');
  return { tokenId, value: mintValue(tokenId, 'acme', 'bob', tagging) };
};
const idAndOwner = (value: string) => {
  const p = parseValue(value);
  return p && { tokenId: p.tokenId, ownerRef: p.ownerRef };
};

describe('token values: round trip', () => {
  it('parses a minted value back to its token id and owner ref', () => {
    // Prepare
    const { tokenId, value } = mint();
    // Act
    const parsed = parseValue(value);
    // Assess
    expect(parsed).toMatchObject({ tokenId, ownerRef: ownerRefOf('acme', 'bob'), tagged: { mintedAtMs: NOW } });
  });

  it('mints values of the documented shape: tsr_, 109 base62 characters, 288 random bits', () => {
    const { tokenId, value } = mint();
    const other = mintValue(tokenId, 'acme', 'bob', tagging);
    expect(value).toHaveLength(TOKEN_VALUE_LENGTH);
    expect(TOKEN_VALUE_LENGTH).toBe(113);
    expect(value).toMatch(/^tsr_[0-9A-Za-z]{109}$/);
    // Same token and owner, fresh randomness: the values differ.
    expect(other).not.toBe(value);
    expect(idAndOwner(other)).toEqual(idAndOwner(value));
  });

  it('still parses the untagged values issued before: tsr_, 87 base62 characters', () => {
    const tokenId = newId('token');
    const value = mintUntaggedValue(tokenId, 'acme', 'bob');
    expect(value).toHaveLength(UNTAGGED_VALUE_LENGTH);
    expect(UNTAGGED_VALUE_LENGTH).toBe(91);
    expect(parseValue(value)).toEqual({ tokenId, ownerRef: ownerRefOf('acme', 'bob') });
  });

  it('ends with the base62 CRC32 of everything before it, so scanners can check a match offline', () => {
    const { value } = mint();
    expect(value.slice(-6)).toBe(documentedChecksum(value.slice(0, -6)));
  });

  it('keeps the owner ref apart per tenant and per user', () => {
    expect(ownerRefOf('acme', 'bob')).not.toBe(ownerRefOf('globex', 'bob'));
    expect(ownerRefOf('acme', 'bob')).not.toBe(ownerRefOf('acme', 'bob2'));
    // The separator keeps "a"+"b/c" and "a/b"+"c" apart.
    expect(ownerRefOf('ab', 'c')).not.toBe(ownerRefOf('a', 'bc'));
  });

  it('round-trips any token id and owner (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (idBytes, tenant, user) => {
        const tokenId = `tok_${encodeBase62(idBytes)}`;
        expect(idAndOwner(mintValue(tokenId, tenant, user, tagging))).toEqual({ tokenId, ownerRef: ownerRefOf(tenant, user) });
        expect(parseValue(mintUntaggedValue(tokenId, tenant, user))).toEqual({ tokenId, ownerRef: ownerRefOf(tenant, user) });
      }),
      { numRuns: 200 },
    );
  });
});

describe('token values: the tag', () => {
  it('carries a tag under the deployment key over everything before it, and the mint time', () => {
    const { value } = mint();
    const parsed = parseValue(value)!;
    expect(tagIsValid(parsed, [KEY])).toBe(true);
    // Independently: the first 12 bytes of HMAC-SHA-256("tsr-tag-v1" NUL ‖ the 64 signed bytes).
    const payload = decodeBase62(value.slice(4, -6), TAGGED_PAYLOAD_BYTES)!;
    const tag = createHmac('sha256', KEY).update('tsr-tag-v1\u0000').update(payload.subarray(0, 64)).digest().subarray(0, 12);
    expect(Buffer.from(payload.subarray(64))).toEqual(tag);
    expect(Buffer.from(payload.subarray(60, 64)).readUInt32BE()).toBe(NOW / 1000);
  });

  it('refuses a tag under another key, and accepts one under any key kept for verification (rotation)', () => {
    const { value } = mint();
    const parsed = parseValue(value)!;
    const newer = randomBytes(32);
    expect(tagIsValid(parsed, [newer])).toBe(false);
    expect(tagIsValid(parsed, [newer, KEY])).toBe(true);
    expect(tagIsValid(parsed, [])).toBe(false);
  });

  it('refuses a tag that does not cover the value: another secret, token, owner or mint time', () => {
    const { value } = mint();
    const payload = decodeBase62(value.slice(4, -6), TAGGED_PAYLOAD_BYTES)!;
    for (const at of [0, 40, 55, 62]) {
      const changed = Uint8Array.from(payload);
      changed[at] ^= 1;
      const head = TOKEN_PREFIX + encodeBase62(changed, TAGGED_BODY_CHARS);
      const parsed = parseValue(head + documentedChecksum(head));
      expect(parsed).toBeDefined(); // checksummed and well formed...
      expect(tagIsValid(parsed!, [KEY])).toBe(false); // ...but not minted here
    }
  });

  it('has no tag to check in an untagged value', () => {
    expect(tagIsValid(parseValue(mintUntaggedValue(newId('token'), 'acme', 'bob'))!, [KEY])).toBe(false);
  });
});

describe('token values: checksum', () => {
  it('rejects every single-character change of a value', () => {
    // Prepare
    const { value } = mint();
    const accepted: string[] = [];
    // Act: every position, every other character of the alphabet (and `_`).
    for (let i = 0; i < value.length; i++) {
      for (const c of ALPHABET + '_') {
        if (c === value[i]) continue;
        const changed = value.slice(0, i) + c + value.slice(i + 1);
        if (parseValue(changed) !== undefined) accepted.push(changed);
      }
    }
    // Assess
    expect(accepted).toEqual([]);
  });

  it('rejects two neighbouring characters swapped', () => {
    const { value } = mint();
    for (let i = TOKEN_PREFIX.length; i < value.length - 1; i++) {
      if (value[i] === value[i + 1]) continue;
      const swapped = value.slice(0, i) + value[i + 1] + value[i] + value.slice(i + 2);
      expect(parseValue(swapped)).toBeUndefined();
    }
  });
});

describe('token values: encoding edge cases', () => {
  it('writes an all-zero payload as zeros at full width and reads it back', () => {
    const zeros = new Uint8Array(PAYLOAD_BYTES);
    expect(encodeBase62(zeros, BODY_CHARS)).toBe('0'.repeat(BODY_CHARS));
    expect(decodeBase62('0'.repeat(BODY_CHARS), PAYLOAD_BYTES)).toEqual(zeros);
    expect(parseValue(valueAround(zeros))).toEqual({ tokenId: `tok_${'0'.repeat(17)}`, ownerRef: '0'.repeat(17) });
    const taggedZeros = new Uint8Array(TAGGED_PAYLOAD_BYTES);
    const head = TOKEN_PREFIX + encodeBase62(taggedZeros, TAGGED_BODY_CHARS);
    expect(parseValue(head + documentedChecksum(head))).toMatchObject({ tokenId: `tok_${'0'.repeat(17)}`, tagged: { mintedAtMs: 0 } });
  });

  it('fits an all-0xff payload in the fixed width and reads it back', () => {
    const ones = new Uint8Array(PAYLOAD_BYTES).fill(0xff);
    const body = encodeBase62(ones, BODY_CHARS);
    expect(body).toHaveLength(BODY_CHARS);
    expect(decodeBase62(body, PAYLOAD_BYTES)).toEqual(ones);
    const parsed = parseValue(valueAround(ones));
    expect(parsed?.tokenId).toBe(`tok_${encodeBase62(new Uint8Array(12).fill(0xff))}`);
    expect(parsed?.ownerRef).toBe(encodeBase62(new Uint8Array(12).fill(0xff)));
  });

  it('keeps leading zero bytes and pads to the width with leading zeros', () => {
    const bytes = new Uint8Array([0, 0, 0, 1]);
    const text = encodeBase62(bytes);
    expect(text).toBe('000001');
    expect(decodeBase62(text, 4)).toEqual(bytes);
    expect(encodeBase62(new Uint8Array([0, 0, 0, 0]))).toBe('000000');
  });

  it('round-trips any byte string at its fixed width (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = encodeBase62(bytes);
        expect(text).toHaveLength(base62Width(bytes.length));
        expect(decodeBase62(text, bytes.length)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a width too small for the value and text too large for the byte count', () => {
    expect(() => encodeBase62(new Uint8Array([0xff, 0xff]), 2)).toThrow(RangeError);
    expect(decodeBase62('zzzzzz', 4)).toBeUndefined(); // 62^6 - 1 > 2^32 - 1
    // 2^32 - 1 is the largest four-byte value; one more does not fit.
    expect(decodeBase62('4gfFC3', 4)).toEqual(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    expect(decodeBase62('4gfFC4', 4)).toBeUndefined();
  });

  it('refuses characters outside the base62 alphabet', () => {
    for (const text of ['00-0', '00_0', '00 0', '00é0', '00\u01000', '00+0']) expect(decodeBase62(text, 4)).toBeUndefined();
  });

  it('rejects a checksummed value whose body overflows the payload width', () => {
    // 81 'z' are more than 2^480 - 1: the checksum is right, the body is not a payload.
    const head = TOKEN_PREFIX + 'z'.repeat(BODY_CHARS);
    expect(parseValue(head + documentedChecksum(head))).toBeUndefined();
    const taggedHead = TOKEN_PREFIX + 'z'.repeat(TAGGED_BODY_CHARS);
    expect(parseValue(taggedHead + documentedChecksum(taggedHead))).toBeUndefined();
  });
});

describe('token values: shape rejections', () => {
  const { value } = mint();
  const body = value.slice(TOKEN_PREFIX.length);

  it.each([
    ['one character short', value.slice(0, -1)],
    ['one character long', value + 'A'],
    ['empty', ''],
    ['only the prefix', TOKEN_PREFIX],
    ['another prefix', `tsx_${body}`],
    ['an upper-case prefix', `TSR_${body}`],
    ['no underscore', `tsr${body}A`],
    ['a hyphen in the body', `${value.slice(0, 20)}-${value.slice(21)}`],
    ['a space in the body', `${value.slice(0, 20)} ${value.slice(21)}`],
    ['a leading space', ` ${value.slice(0, -1)}`],
    ['a trailing newline', `${value.slice(0, -1)}\n`],
    ['a non-ASCII look-alike', `${value.slice(0, 20)}\u0391${value.slice(21)}`],
  ])('rejects a value with %s', (_label, candidate) => {
    expect(parseValue(candidate)).toBeUndefined();
  });

  it('rejects non-strings without throwing', () => {
    for (const candidate of [undefined, null, 42, {}, [value], Buffer.from(value)]) expect(parseValue(candidate)).toBeUndefined();
  });
});

describe('token values: the secret-scanner expression', () => {
  const { value } = mint();

  it.each([
    ['a shell export', `export TESSERA_TOKEN=${value}\n`],
    ['a JSON document', JSON.stringify({ token: value, other: 1 })],
    ['a header line', `Authorization: Bearer ${value}`],
    ['a URL query', `https://api.example.com/x?token=${value}&y=1`],
    ['quotes in code', `const t = '${value}';`],
  ])('finds a minted value in %s, exactly', (_label, text) => {
    expect(text.match(TOKEN_VALUE_REGEX)?.[0]).toBe(value);
  });

  it('finds an untagged value too, exactly', () => {
    const untagged = mintUntaggedValue(newId('token'), 'acme', 'bob');
    expect(`x=${untagged};`.match(TOKEN_VALUE_REGEX)?.[0]).toBe(untagged);
    expect(TOKEN_VALUE_REGEX.test(`${untagged}A`)).toBe(false);
    expect(TOKEN_VALUE_REGEX.test(untagged.slice(0, -1))).toBe(false);
  });

  it.each([
    ['108 characters after the prefix', value.slice(0, -1)],
    ['110 characters after the prefix', `${value}A`],
    ['a letter glued in front', `x${value}`],
    ['another prefix', `tsx_${value.slice(4)}`],
    ['a hyphen instead of the underscore', `tsr-${value.slice(4)}`],
    ['a hyphen inside', `${value.slice(0, 30)}-${value.slice(31)}`],
  ])('does not match %s', (_label, text) => {
    expect(TOKEN_VALUE_REGEX.test(text)).toBe(false);
  });
});

describe('token values: hint and hashes', () => {
  it('hints with the prefix and five characters, which reveal under 30 bits of the secret', () => {
    const { value } = mint();
    const hint = hintOf(value);
    expect(hint).toHaveLength(TOKEN_PREFIX.length + 5);
    expect(value.startsWith(hint)).toBe(true);
    expect(5 * Math.log2(62)).toBeLessThan(30);
  });

  it('compares stored hashes only when both are present and equal', () => {
    const { value } = mint();
    const hash = hashValue(value);
    expect(hashesEqual(hash, hashValue(value))).toBe(true);
    expect(hashesEqual(hash, hashValue(mint().value))).toBe(false);
    expect(hashesEqual(hash, undefined)).toBe(false);
    expect(hashesEqual(undefined, undefined)).toBe(false);
    expect(hashesEqual(hash, hash.slice(0, 20))).toBe(false);
    expect(hashesEqual('', '')).toBe(false);
  });

  it('compares legacy secret hashes as 64 hex characters only', () => {
    const h = sha256Hex('s3cret');
    expect(hexHashesEqual(h, sha256Hex('s3cret'))).toBe(true);
    expect(hexHashesEqual(h, sha256Hex('s3cret!'))).toBe(false);
    expect(hexHashesEqual(h.toUpperCase(), h)).toBe(false);
    expect(hexHashesEqual(h.slice(0, 62), h.slice(0, 62))).toBe(false);
    expect(hexHashesEqual(undefined, h)).toBe(false);
  });
});

describe('legacy token ids', () => {
  const uuid = '3f2b8c1e-9d4a-4e7b-8c21-5a6f0e9d1b2c';

  it('derives the same token id from the same UUID every time', () => {
    expect(legacyTokenId(uuid)).toBe(legacyTokenId(uuid));
    expect(legacyTokenId(uuid)).toMatch(TOKEN_ID_PATTERN);
  });

  it('ignores the case of the UUID', () => {
    expect(legacyTokenId(uuid.toUpperCase())).toBe(legacyTokenId(uuid));
  });

  it('gives different UUIDs different ids', () => {
    expect(legacyTokenId('3f2b8c1e-9d4a-4e7b-8c21-5a6f0e9d1b2d')).not.toBe(legacyTokenId(uuid));
  });

  it('gives an id a normal value can carry, so a renewed legacy token parses like any other', () => {
    const id = legacyTokenId(uuid);
    expect(parseValue(mintValue(id, 'acme', 'bob', tagging))?.tokenId).toBe(id);
  });
});
