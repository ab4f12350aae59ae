// base62 (shared/base62.ts) computes with 16-bit limbs for speed; these properties hold it to the
// plain BigInt definition, for every width and length a token value uses and then some.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base62Width, decodeBase62, encodeBase62 } from '../../shared/base62.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function referenceEncode(bytes: Uint8Array, width: number): string | RangeError {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return n === 0n ? out : new RangeError('value does not fit the width');
}

function referenceDecode(text: string, bytes: number): Uint8Array | undefined {
  let n = 0n;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) return undefined;
    n = n * 62n + BigInt(digit);
  }
  const out = new Uint8Array(bytes);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return n === 0n ? out : undefined;
}

const encodeOrError = (bytes: Uint8Array, width: number) => {
  try {
    return encodeBase62(bytes, width);
  } catch (e) {
    return e as Error;
  }
};

describe('base62 against its BigInt definition', () => {
  it('encodes every byte string as the definition does, at its own width and at narrower and wider ones', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -3, max: 3 }), (bytes, delta) => {
        const width = Math.max(0, base62Width(bytes.length) + delta);
        const expected = referenceEncode(bytes, width);
        const actual = encodeOrError(bytes, width);
        if (expected instanceof RangeError) expect(actual).toBeInstanceOf(RangeError);
        else expect(actual).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes every base62 text as the definition does, including values too large for the bytes', () => {
    const digits = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 90 });
    fc.assert(
      fc.property(digits, fc.integer({ min: 0, max: 64 }), (text, bytes) => {
        expect(decodeBase62(text, bytes)).toEqual(referenceDecode(text, bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes the largest value of each length and refuses the next one up', () => {
    for (let bytes = 1; bytes <= 60; bytes++) {
      const max = new Uint8Array(bytes).fill(0xff);
      const text = encodeBase62(max);
      expect(decodeBase62(text, bytes)).toEqual(max);
      const next = referenceEncode(new Uint8Array([1, ...new Uint8Array(bytes)]), text.length);
      if (typeof next === 'string') expect(decodeBase62(next, bytes)).toBeUndefined();
    }
  });

  it('refuses any character outside the alphabet, wherever it stands', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (text) => {
        expect(decodeBase62(text, 16)).toEqual(referenceDecode(text, 16));
      }),
      { numRuns: 1000 },
    );
  });
});
