// Revocation within 2 seconds with the caches on (docs/rules.md §1.6): every change that ends a
// value's acceptance is refused after /_local/time moves the service clock 2 s, though the
// acceptance was cached; and a cached acceptance reads nothing but the feed, once a second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { storeCallsDuring } from '../helpers/store-calls.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

let version = 1;
const userChanged = (userId: string, extra: Record<string, unknown> = {}) =>
  app.userEvent('UserChanged', { tenantId: 'acme', userId, version: version++, role: 'analyst', status: 'active', authMethod: 'password', ...extra });

/** A fresh owner with a token whose acceptance is cached. */
async function cachedToken(userId: string, permissions = ['events:read']) {
  expect((await userChanged(userId)).status).toBe(200);
  await app.advance(11); // past the hold that the user's own creation announced
  const jwt = await app.login(userId);
  const { token, value } = await app.createToken(jwt, { permissions });
  expect((await app.callExample(value)).status).toBe(200);
  return { jwt, token, value };
}

describe('revocation within 2 s, caches on', () => {
  const cases: [string, (t: Awaited<ReturnType<typeof cachedToken>>, userId: string) => Promise<unknown>][] = [
    ['disable', ({ jwt, token }) => app.request('PATCH', `/v1/tokens/${token.id}`, { jwt, body: { enabled: false } })],
    ['renew without grace', ({ jwt, token }) => app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt, body: {} })],
    ['delete', ({ jwt, token }) => app.request('DELETE', `/v1/tokens/${token.id}`, { jwt })],
    ['owner disabled', (_, userId) => userChanged(userId, { status: 'disabled' })],
    ['owner switched to SSO', (_, userId) => userChanged(userId, { authMethod: 'sso' })],
    ['owner deleted', (_, userId) => app.userEvent('UserDeleted', { tenantId: 'acme', userId, version: version++ })],
  ];

  it.each(cases)('refuses the value 2 s after: %s', async (name, change) => {
    // Prepare
    const userId = `rev-${name.replace(/\W+/g, '-')}`;
    const t = await cachedToken(userId);
    // Act
    await change(t, userId);
    await app.advance(2);
    // Assess
    expect((await app.callExample(t.value)).status).toBe(403);
  });

  it('narrows the context 2 s after the token or its owner loses a permission', async () => {
    // Prepare
    const a = await cachedToken('rev-narrow-token', ['events:read', 'rules:read']);
    const b = await cachedToken('rev-narrow-owner', ['events:read', 'rules:read']);
    // Act
    await app.request('PATCH', `/v1/tokens/${a.token.id}`, { jwt: a.jwt, body: { permissions: ['rules:read'] } });
    await userChanged('rev-narrow-owner', { role: 'read_only', permissions: ['rules:read'] });
    await app.advance(2);
    // Assess
    expect((await app.callExample(a.value)).body.context.permissions).toBe('rules:read');
    expect((await app.callExample(b.value)).body.context.permissions).toBe('rules:read');
    expect((await app.callExample(a.value, '/example/events')).status).toBe(403);
  });

  it('reads only the feed for cached acceptances: one Query a second whatever the traffic', async () => {
    // Prepare
    const { value } = await cachedToken('rev-quiet');
    await app.advance(1);
    // Act: 20 cached verifications within one second, then 20 more in the next.
    const seen = await storeCallsDuring(app, 'authorizer', async () => {
      for (let i = 0; i < 20; i++) expect((await app.callExample(value)).status).toBe(200);
      await app.advance(1);
      for (let i = 0; i < 20; i++) expect((await app.callExample(value)).status).toBe(200);
    });
    // Assess: the authorizer read no token and wrote nothing; the feed's Query once per second.
    expect(seen.map((c) => (c.feed ? 'feed' : c.action))).toEqual(['feed', 'feed']);
  });
});
