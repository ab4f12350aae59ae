// Fixed-width base62 for byte strings (0-9A-Za-z, the alphabet of GitHub's token scheme).
//
// The number is held as big-endian 16-bit limbs in plain numbers, and converted four base62
// digits at a time: 62^4 < 2^24, so no intermediate passes 2^40, far inside exact double range.
// Parsing a value is on the authorizer's uncached path; this is ~8x faster than BigInt (BENCHMARKS.md).
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i;

const LIMB = 0x10000;
const CHUNK_DIGITS = 4;
const CHUNK = 62 ** CHUNK_DIGITS;

/** Characters needed to write any `bytes`-byte value in base62. */
export const base62Width = (bytes: number): number => Math.ceil((bytes * 8) / Math.log2(62));

export function encodeBase62(bytes: Uint8Array, width = base62Width(bytes.length)): string {
  const limbs: number[] = new Array(Math.ceil(bytes.length / 2));
  for (let b = bytes.length, l = limbs.length - 1; l >= 0; b -= 2, l--) limbs[l] = b >= 2 ? (bytes[b - 2] << 8) | bytes[b - 1] : bytes[0];
  const out: string[] = new Array(width);
  let i = width;
  let rest = 0;
  while (i > 0) {
    // Divide the number by 62^4 in place; the remainder holds the next four digits, lowest first.
    rest = 0;
    for (let l = 0; l < limbs.length; l++) {
      const current = rest * LIMB + limbs[l];
      limbs[l] = Math.floor(current / CHUNK);
      rest = current % CHUNK;
    }
    for (let d = 0; d < CHUNK_DIGITS && i > 0; d++) {
      out[--i] = ALPHABET[rest % 62];
      rest = Math.floor(rest / 62);
    }
  }
  if (rest !== 0 || limbs.some((l) => l !== 0)) throw new RangeError('value does not fit the width');
  return out.join('');
}

/** Returns undefined for a character outside the alphabet or a value too large for `bytes`. */
export function decodeBase62(text: string, bytes: number): Uint8Array | undefined {
  const limbs = new Array<number>(Math.ceil(bytes / 2)).fill(0);
  for (let start = 0; start < text.length; start += CHUNK_DIGITS) {
    let chunk = 0;
    let scale = 1;
    for (let i = start; i < Math.min(start + CHUNK_DIGITS, text.length); i++) {
      const code = text.charCodeAt(i);
      const digit = code < 128 ? INDEX[code] : -1;
      if (digit < 0) return undefined;
      chunk = chunk * 62 + digit;
      scale *= 62;
    }
    // number = number * 62^k + chunk, lowest limb first; a carry out of the top does not fit.
    let carry = chunk;
    for (let l = limbs.length - 1; l >= 0; l--) {
      const current = limbs[l] * scale + carry;
      carry = Math.floor(current / LIMB);
      limbs[l] = current - carry * LIMB;
    }
    if (carry !== 0) return undefined;
  }
  if (bytes % 2 === 1 && limbs[0] > 0xff) return undefined;
  const out = new Uint8Array(bytes);
  for (let b = bytes, l = limbs.length - 1; l >= 0; b -= 2, l--) {
    out[b - 1] = limbs[l] & 0xff;
    if (b >= 2) out[b - 2] = limbs[l] >>> 8;
  }
  return out;
}
