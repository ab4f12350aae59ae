// Fixed-width base62 for byte strings (0-9A-Za-z, the alphabet of GitHub's token scheme).
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i;

/** Characters needed to write any `bytes`-byte value in base62. */
export const base62Width = (bytes: number): number => Math.ceil((bytes * 8) / Math.log2(62));

export function encodeBase62(bytes: Uint8Array, width = base62Width(bytes.length)): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  const out: string[] = new Array(width);
  for (let i = width - 1; i >= 0; i--) {
    out[i] = ALPHABET[Number(n % 62n)];
    n /= 62n;
  }
  if (n !== 0n) throw new RangeError('value does not fit the width');
  return out.join('');
}

/** Returns undefined for a character outside the alphabet or a value too large for `bytes`. */
export function decodeBase62(text: string, bytes: number): Uint8Array | undefined {
  let n = 0n;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? INDEX[code] : -1;
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
