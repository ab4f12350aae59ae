// List cursors are authenticated with the deployment's key, bound to caller, tenant and query,
// and expire after 24 hours (README "List cursors"): anything else is 400 VALIDATION.
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let bob: string;
let cursor: string;
beforeAll(async () => {
  app = await startTestApp();
  bob = await app.login('bob');
  for (let i = 0; i < 3; i++) await app.createToken(bob, { name: `t${i}` });
  cursor = (await app.request('GET', '/v1/tokens?limit=1', { jwt: bob })).body.nextCursor;
});
afterAll(async () => app?.close());

async function expectRefused(c: string, jwt = bob, query = 'limit=1') {
  const r = await app.request('GET', `/v1/tokens?${query}&cursor=${encodeURIComponent(c)}`, { jwt });
  expect(r.status, r.text).toBe(400);
  expect(r.body.error.code).toBe('VALIDATION');
  expect(r.body.error.fields[0].path).toBe('query.cursor');
  return r.body.error.fields[0].message as string;
}

/** Changes one character of the cursor's part `index` (0 version, 1 expiry, 2 position, 3 tag). */
function tamper(c: string, index: number): string {
  const parts = c.split('.');
  const p = parts[index];
  parts[index] = p.slice(0, -1) + (p.endsWith('A') ? 'B' : 'A');
  return parts.join('.');
}

describe('list cursors', () => {
  it('pages with a cursor that reveals nothing but a position, and the next page follows', async () => {
    expect(cursor).toMatch(/^c1\.[0-9a-z]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(cursor).not.toContain('bob');
    const next = await app.request('GET', `/v1/tokens?limit=1&cursor=${cursor}`, { jwt: bob });
    expect(next.status, next.text).toBe(200);
    expect(next.body.items).toHaveLength(1);
    // The page size is not part of the binding: a client may change it between pages.
    expect((await app.request('GET', `/v1/tokens?limit=5&cursor=${cursor}`, { jwt: bob })).body.items).toHaveLength(2);
  });

  it.each([
    ['the expiry', 1],
    ['the position', 2],
    ['the tag', 3],
  ])('refuses a cursor with a changed %s', async (_what, index) => {
    expect(await expectRefused(tamper(cursor, index), bob)).toMatch(/not a cursor/);
  });

  it('refuses a cursor whose position was moved by someone who knows the format', async () => {
    const [v, e, , t] = cursor.split('.');
    const moved = Buffer.from('2099-01-01T00:00:00.000Z#tok_00000000000000000').toString('base64url');
    await expectRefused([v, e, moved, t].join('.'));
  });

  it("refuses another caller's, another tenant's and another query's cursor", async () => {
    await expectRefused(cursor, await app.login('carol'));
    await expectRefused(cursor, await app.login('gina', 'globex'));
    await expectRefused(cursor, bob, 'limit=1&status=enabled');
    await expectRefused(cursor, bob, 'limit=1&owner=bob');
  });

  it('refuses a cursor made with another key (another deployment), and the old unkeyed format', async () => {
    const [v, e, p] = cursor.split('.');
    const forged = createHmac('sha256', randomBytes(32)).update(`${v}.${e}.${p}`).digest().subarray(0, 16).toString('base64url');
    await expectRefused([v, e, p, forged].join('.'));
    const unkeyed = Buffer.from(JSON.stringify({ v: 1, after: '2026-01-01T00:00:00.000Z#tok_00000000000000000', q: 'abc' })).toString('base64url');
    await expectRefused(unkeyed);
    for (const junk of ['', '.', 'c1...', 'c1.zz.zz.zz', 'x'.repeat(512)]) if (junk) await expectRefused(junk);
  });

  it('refuses a cursor after 24 hours on the service clock, and accepts it just before', async () => {
    await app.advance(24 * 3600 - 60);
    const fresh = await app.login('bob');
    expect((await app.request('GET', `/v1/tokens?limit=1&cursor=${cursor}`, { jwt: fresh })).status).toBe(200);
    await app.advance(61);
    expect(await expectRefused(cursor, await app.login('bob'))).toMatch(/expired/);
  });
});
