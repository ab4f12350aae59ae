// Which credential the authorizer takes when a request carries several (rules.md §4).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

it('takes X-API-Token when Authorization carries a bearer that is not a Tessera value', async () => {
  const jwt = await app.login('bob');
  const { value } = await app.createToken(jwt);
  const r = await app.request('GET', '/example/whoami', { headers: { authorization: `Bearer ${jwt}`, 'x-api-token': value } });
  expect(r.status).toBe(200);
  expect(r.body.context.userId).toBe('bob');
});

it('still refuses a non-Tessera bearer sent alone', async () => {
  const r = await app.request('GET', '/example/whoami', { headers: { authorization: `Bearer ${await app.login('bob')}` } });
  expect(r.status).toBe(403);
});

it('serves nothing from outside the page folder, even a sibling whose name starts the same', async () => {
  for (const path of ['/..%2Fdist-x%2Fa', '/..%2F..%2Fpackage.json', '/%2E%2E/%2E%2E/package.json']) {
    const r = await app.request('GET', path);
    expect(r.status, path).toBe(404);
  }
});
