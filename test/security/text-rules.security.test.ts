// Names and descriptions (README "Names and descriptions"): hostile text is refused with 400
// VALIDATION naming the field, through the HTTP API, on create and on PATCH; what is kept is NFC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let bob: string;
let tokenId: string;
beforeAll(async () => {
  app = await startTestApp();
  bob = await app.login('bob');
  tokenId = (await app.createToken(bob, { name: 'kept', description: 'kept' })).token.id;
});
afterAll(async () => app?.close());

const FORBIDDEN: [string, string][] = [
  ['NUL (C0)', 'a\u0000b'],
  ['ESC (C0)', 'a\u001b[31mred'],
  ['carriage return (C0)', 'a\rb'],
  ['DEL', 'a\u007fb'],
  ['NEL (C1)', 'a\u0085b'],
  ['CSI (C1)', 'a\u009bb'],
  ['right-to-left override U+202E', 'invoice\u202Efdp.exe'],
  ['left-to-right embedding U+202A', '\u202Aname'],
  ['right-to-left isolate U+2067', 'a\u2067b\u2069'],
  ['pop directional isolate U+2069', 'a\u2069'],
  ['a lone high surrogate', 'a\ud800b'],
  ['a lone low surrogate', '\udc00'],
  ['only blanks', ' \u3000 '],
];

describe('names', () => {
  it.each(FORBIDDEN)('refuses a name with %s on create and on PATCH, naming the field', async (_what, text) => {
    const created = await app.request('POST', '/v1/tokens', { jwt: bob, body: { name: text, permissions: ['events:read'] } });
    expect(created.status, created.text).toBe(400);
    expect(created.body.error.code).toBe('VALIDATION');
    expect(created.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['body.name']);
    const patched = await app.request('PATCH', `/v1/tokens/${tokenId}`, { jwt: bob, body: { name: text } });
    expect(patched.status, patched.text).toBe(400);
    expect(patched.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['body.name']);
  });

  it('refuses newline and tab in a name', async () => {
    for (const name of ['a\nb', 'a\tb']) {
      const r = await app.request('POST', '/v1/tokens', { jwt: bob, body: { name, permissions: ['events:read'] } });
      expect(r.status).toBe(400);
      expect(r.body.error.fields[0].path).toBe('body.name');
    }
  });

  it('stores a name in NFC, trimmed, so a decomposed spelling equals the composed one', async () => {
    const decomposed = '  Cafe\u0301 \u212B  '; // e + combining acute; ANGSTROM SIGN (NFC: Å)
    const { token } = await app.createToken(bob, { name: decomposed });
    expect(token.name).toBe('Caf\u00e9 \u00c5');
    expect(token.name).toBe(decomposed.trim().normalize('NFC'));
    const read = await app.request('GET', `/v1/tokens/${token.id}`, { jwt: bob });
    expect(read.body.name).toBe('Caf\u00e9 \u00c5');
    const patched = await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { name: 'n\u0303' } });
    expect(patched.body.name).toBe('\u00f1');
  });

  it('counts the limit in code points: 100 emoji fit, 101 do not', async () => {
    const ok = await app.request('POST', '/v1/tokens', { jwt: bob, body: { name: '🔑'.repeat(100), permissions: ['events:read'] } });
    expect(ok.status, ok.text).toBe(201);
    expect([...ok.body.token.name]).toHaveLength(100);
    const tooLong = await app.request('POST', '/v1/tokens', { jwt: bob, body: { name: '🔑'.repeat(101), permissions: ['events:read'] } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.fields[0].path).toBe('body.name');
  });

  it('keeps accepting scripts that need joiners and right-to-left text without controls', async () => {
    for (const name of ['توکن من', 'मेरा\u200Dटोकन', '👩\u200D💻 deploy', 'שם']) {
      const r = await app.request('POST', '/v1/tokens', { jwt: bob, body: { name, permissions: ['events:read'] } });
      expect(r.status, `${JSON.stringify(name)}: ${r.text}`).toBe(201);
      expect(r.body.token.name).toBe(name.normalize('NFC'));
    }
  });
});

describe('descriptions', () => {
  it.each(FORBIDDEN)('refuses a description with %s on create and on PATCH, naming the field', async (_what, text) => {
    const created = await app.request('POST', '/v1/tokens', { jwt: bob, body: { name: 'x', permissions: ['events:read'], description: text } });
    expect(created.status, created.text).toBe(400);
    expect(created.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['body.description']);
    const patched = await app.request('PATCH', `/v1/tokens/${tokenId}`, { jwt: bob, body: { description: text } });
    expect(patched.status, patched.text).toBe(400);
    expect(patched.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['body.description']);
  });

  it('accepts newline and tab, normalizes to NFC, and null still clears', async () => {
    const { token } = await app.createToken(bob, { description: 'line one\n\tline two: cafe\u0301' });
    expect(token.description).toBe('line one\n\tline two: caf\u00e9');
    const cleared = await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { description: null } });
    expect(cleared.body.description).toBeNull();
  });

  it('nothing refused was stored: the token keeps its name and description', async () => {
    const r = await app.request('GET', `/v1/tokens/${tokenId}`, { jwt: bob });
    expect([r.body.name, r.body.description]).toEqual(['kept', 'kept']);
  });
});
