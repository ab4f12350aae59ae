// Hashes are compared in constant time (rules.md §4.2): the comparisons go through
// crypto.timingSafeEqual, and no code compares stored hash material with == / ===.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const spy = vi.hoisted(() => ({ calls: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      spy.calls++;
      return actual.timingSafeEqual(a, b);
    },
  };
});

const { hashesEqual, hashValue, hexHashesEqual, sha256Hex } = await import('../../shared/token-value.ts');

describe('hash comparison', () => {
  beforeEach(() => {
    spy.calls = 0;
  });

  it('compares value hashes with timingSafeEqual, equal or not', () => {
    const a = hashValue('tsr_a');
    const b = hashValue('tsr_b');
    expect(hashesEqual(a, a)).toBe(true);
    expect(hashesEqual(a, b)).toBe(false);
    expect(spy.calls).toBe(2);
  });

  it('compares legacy secret hashes with timingSafeEqual, equal or not', () => {
    const a = sha256Hex('secret-a');
    const b = sha256Hex('secret-b');
    expect(hexHashesEqual(a, a)).toBe(true);
    expect(hexHashesEqual(a, b)).toBe(false);
    expect(spy.calls).toBe(2);
  });

  it('refuses missing or malformed hashes without comparing', () => {
    expect(hashesEqual(undefined, hashValue('x'))).toBe(false);
    expect(hashesEqual('', '')).toBe(false);
    expect(hexHashesEqual('zz', 'zz')).toBe(false);
    expect(hexHashesEqual(undefined, undefined)).toBe(false);
  });

  it('is the only way the code compares stored hash material', () => {
    // Any ==/=== next to a hash, previous hash or secret hash, other than a null check.
    const root = resolve(import.meta.dirname, '../..');
    const files = ['shared', 'functions', 'local'].flatMap(function walk(dir: string): string[] {
      return readdirSync(join(root, dir)).flatMap((name) => {
        const path = join(dir, name);
        return statSync(join(root, path)).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
      });
    });
    const suspicious = /(\b\w*(hash|Hash|Sha256)\b(\s*\?\?\s*\w+)?\s*[!=]={1,2}(?!=)\s*(?!null\b|undefined\b)\S)|([!=]={1,2}(?!=)\s*[\w.?]*(hash|Hash|Sha256)\b)/;
    const found = files.flatMap((f) =>
      readFileSync(join(root, f), 'utf8')
        .split('\n')
        .map((line, i) => ({ line: line.trim(), at: `${f}:${i + 1}` }))
        .filter(({ line }) => !line.startsWith('//') && !line.startsWith('*') && suspicious.test(line)),
    );
    expect(files.length).toBeGreaterThan(20);
    expect(found).toEqual([]);
  });
});
