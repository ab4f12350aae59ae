// What API Gateway hands the handlers: JWT claims as strings (arrays `[a b]`), and query
// parameters with every key kept, `__proto__` included.
import { describe, expect, it } from 'vitest';
import { claimText } from '../../local/jwt.ts';
import { queryOf } from '../../local/lambda.ts';

describe('JWT claims as API Gateway passes them', () => {
  it('renders every claim as a string, arrays as [a b]', () => {
    expect(claimText('acme')).toBe('acme');
    expect(claimText(['tessera', 'admin'])).toBe('[tessera admin]');
    expect(claimText(1700000000)).toBe('1700000000');
    expect(claimText(true)).toBe('true');
    expect(claimText({ b: 1, a: ['x'] })).toBe('map[a:[x] b:1]');
  });
});

describe('query parameters as API Gateway passes them', () => {
  it('keeps __proto__ and constructor as ordinary keys and joins repeats with commas', () => {
    const q = queryOf(new URL('http://h/p?__proto__=x&constructor=y&a=1&a=2'))!;
    expect(Object.keys(q)).toEqual(['__proto__', 'constructor', 'a']);
    expect(q.__proto__).toBe('x');
    expect(q.a).toBe('1,2');
    expect(Object.getPrototypeOf(q)).toBeNull();
    expect(JSON.parse(JSON.stringify(q))).toEqual(JSON.parse('{"__proto__":"x","constructor":"y","a":"1,2"}'));
  });

  it('gives no object for no query', () => {
    expect(queryOf(new URL('http://h/p'))).toBeUndefined();
  });
});
