// Every identifier Tessera mints comes from newId(prefix), with one table of prefixes.
import { randomBytes } from 'node:crypto';
import { encodeBase62 } from './base62.ts';

export const ID_PREFIXES = { token: 'tok', request: 'req', event: 'evt', audit: 'aud' } as const;
export type IdKind = keyof typeof ID_PREFIXES;

/** 12 random bytes = 96 bits, written as 17 base62 characters. */
export const ID_BYTES = 12;

export function idFromBytes(kind: IdKind, bytes: Uint8Array): string {
  return `${ID_PREFIXES[kind]}_${encodeBase62(bytes)}`;
}

export function newId(kind: IdKind): string {
  return idFromBytes(kind, randomBytes(ID_BYTES));
}

export const TOKEN_ID_PATTERN = /^tok_[0-9A-Za-z]{17}$/;
