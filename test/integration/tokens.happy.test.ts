// The management API's happy paths, through the local HTTP server (rules.md §1–§3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let bob: string;
let alice: string;
beforeAll(async () => {
  app = await startTestApp();
  bob = await app.login('bob');
  alice = await app.login('alice');
});
afterAll(async () => app?.close());

const DAY = 86_400;

describe('tokens: happy paths', () => {
  it('creates a token with every field and returns the JSON shape of §3', async () => {
    const expiresAt = new Date(Date.now() + 30 * DAY * 1000).toISOString();
    const r = await app.request('POST', '/v1/tokens', {
      jwt: bob,
      body: { name: '  deploy bot ', permissions: ['rules:read', 'events:read', 'events:read'], expiresAt, description: 'for CI' },
    });
    expect(r.status).toBe(201);
    const { token, value } = r.body;
    expect(Object.keys(token).sort()).toEqual(
      ['allowedCidrs', 'createdAt', 'deleteAt', 'description', 'disabledAt', 'disabledReason', 'expiresAt', 'hint', 'id', 'lastUsedAt', 'legacy',
        'name', 'ownerId', 'permissions', 'status', 'tenantId', 'updatedAt', 'visibility'].sort(),
    );
    expect(token).toMatchObject({
      name: 'deploy bot', description: 'for CI', ownerId: 'bob', tenantId: 'acme', visibility: 'private', legacy: false,
      permissions: ['events:read', 'rules:read'], status: 'enabled', disabledReason: null, disabledAt: null, lastUsedAt: null,
    });
    expect(token.expiresAt).toBe(expiresAt);
    // §1.5: an expiring token is deleted a week after it expires.
    expect(Date.parse(token.deleteAt) - Date.parse(expiresAt)).toBe(7 * DAY * 1000);
    expect(value.startsWith(token.hint)).toBe(true);
    expect(token.hint.length).toBeLessThan(12);
  });

  it('reads metadata and reveals the value to its owner at any time (§1.1)', async () => {
    const { token, value } = await app.createToken(bob);
    const meta = await app.request('GET', `/v1/tokens/${token.id}`, { jwt: bob });
    expect(meta.status).toBe(200);
    expect(meta.body).toEqual(token);
    const shown = await app.request('GET', `/v1/tokens/${token.id}/value`, { jwt: bob });
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ value });
  });

  it('renames, re-describes, narrows permissions and clears the expiry with PATCH (§1.1)', async () => {
    const { token } = await app.createToken(bob, { permissions: ['events:read', 'rules:read'], expiresAt: new Date(Date.now() + DAY * 1000).toISOString() });
    const r = await app.request('PATCH', `/v1/tokens/${token.id}`, {
      jwt: bob,
      body: { name: 'renamed', description: null, permissions: ['rules:read'], expiresAt: null },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'renamed', description: null, permissions: ['rules:read'], expiresAt: null, deleteAt: null, status: 'enabled' });
    expect(Date.parse(r.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(token.updatedAt));
  });

  it('disables with a deleteAt a week later, and enables again (§1.4, §1.5)', async () => {
    const { token, value } = await app.createToken(bob);
    const off = await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { enabled: false } });
    expect(off.body).toMatchObject({ status: 'disabled', disabledReason: 'manual' });
    expect(Date.parse(off.body.deleteAt) - Date.parse(off.body.disabledAt)).toBe(7 * DAY * 1000);
    expect((await app.callExample(value)).status).toBe(403);
    const on = await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { enabled: true } });
    expect(on.body).toMatchObject({ status: 'enabled', disabledReason: null, disabledAt: null, deleteAt: null });
    await app.advance(6); // past the authorizer's denial cache (5 s)
    expect((await app.callExample(value)).status).toBe(200);
  });

  it('renews: a new value works and the old one stops at once (§1.6)', async () => {
    const { token, value: old } = await app.createToken(bob);
    const r = await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: bob, body: {} });
    expect(r.status).toBe(200);
    expect(r.body.value).not.toBe(old);
    expect(r.body.token.id).toBe(token.id);
    expect(r.body.token.hint).toBe(r.body.value.slice(0, r.body.token.hint.length));
    expect((await app.callExample(r.body.value)).status).toBe(200);
    expect((await app.callExample(old)).status).toBe(403);
    expect((await app.request('GET', `/v1/tokens/${token.id}/value`, { jwt: bob })).body.value).toBe(r.body.value);
  });

  it('renews with a grace period that keeps the old value valid that long (§1.6)', async () => {
    const { token, value: old } = await app.createToken(bob);
    const r = await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: bob, body: { graceSeconds: 120 } });
    expect((await app.callExample(old)).status).toBe(200);
    expect((await app.callExample(r.body.value)).status).toBe(200);
    await app.advance(121);
    expect((await app.callExample(old)).status).toBe(403);
    expect((await app.callExample(r.body.value)).status).toBe(200);
  });

  it('deletes a token: 204, then 404 everywhere and its value is rejected', async () => {
    const { token, value } = await app.createToken(bob);
    expect((await app.request('DELETE', `/v1/tokens/${token.id}`, { jwt: bob })).status).toBe(204);
    expect((await app.request('GET', `/v1/tokens/${token.id}`, { jwt: bob })).status).toBe(404);
    expect((await app.request('DELETE', `/v1/tokens/${token.id}`, { jwt: bob })).status).toBe(404);
    await app.advance(11); // past the authorizer's acceptance cache
    expect((await app.callExample(value)).status).toBe(403);
  });

  it('lets an admin create a shared token that every admin can see, use and manage (§1.7)', async () => {
    const created = await app.request('POST', '/v1/tokens', { jwt: alice, body: { name: 'shared', permissions: ['users:read'], visibility: 'shared' } });
    expect(created.status).toBe(201);
    const id = created.body.token.id;
    const erin = await app.login('erin');
    expect((await app.request('GET', `/v1/tokens/${id}/value`, { jwt: erin })).body.value).toBe(created.body.value);
    const renewed = await app.request('POST', `/v1/tokens/${id}/renew`, { jwt: erin, body: {} });
    expect(renewed.status).toBe(200);
    expect((await app.request('PATCH', `/v1/tokens/${id}`, { jwt: erin, body: { enabled: false } })).body.status).toBe('disabled');
    expect((await app.request('DELETE', `/v1/tokens/${id}`, { jwt: erin })).status).toBe(204);
  });

  it("lets an admin manage a user's private token without seeing its value (§1.7, §1.8)", async () => {
    const { token } = await app.createToken(bob);
    const list = await app.request('GET', '/v1/tokens?owner=bob', { jwt: alice });
    expect(list.body.items.map((t: { id: string }) => t.id)).toContain(token.id);
    expect((await app.request('GET', `/v1/tokens/${token.id}`, { jwt: alice })).status).toBe(200);
    expect((await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: alice, body: { name: 'by admin' } })).body.name).toBe('by admin');
    expect((await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: alice, body: { enabled: false } })).body.status).toBe('disabled');
    expect((await app.request('DELETE', `/v1/tokens/${token.id}`, { jwt: alice })).status).toBe(204);
  });

  it('tells an SSO user why they have no tokens on /v1/me (§1.9)', async () => {
    const r = await app.request('GET', '/v1/me', { jwt: await app.login('dave') });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ canUseTokens: false, grantablePermissions: [] });
    expect(r.body.reason).toMatch(/SSO/);
  });

  it('serves the OpenAPI document generated from the route table', async () => {
    const r = await app.request('GET', '/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(Object.keys(r.body.paths)).toEqual(expect.arrayContaining(['/v1/tokens', '/v1/tokens/{id}', '/v1/tokens/{id}/renew', '/v1/me']));
    expect(r.body.paths['/v1/tokens'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreateTokenBody' });
  });
});

describe('tokens: list', () => {
  it('pages newest first with an opaque cursor and filters by status', async () => {
    const carol = await app.login('carol');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await app.createToken(carol, { name: `t${i}` })).token.id);
    await app.request('PATCH', `/v1/tokens/${ids[2]}`, { jwt: carol, body: { enabled: false } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await app.request('GET', `/v1/tokens?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { jwt: carol });
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.items.map((t: { id: string }) => t.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const disabled = await app.request('GET', '/v1/tokens?status=disabled', { jwt: carol });
    expect(disabled.body.items.map((t: { id: string }) => t.id)).toEqual([ids[2]]);
    const enabled = await app.request('GET', '/v1/tokens?status=enabled&limit=2', { jwt: carol });
    expect(enabled.body.items).toHaveLength(2);
    expect(enabled.body.nextCursor).not.toBeNull();
  });

  it('shows an admin every token of the tenant, and a user only their own (§1.7, §1.8)', async () => {
    const { token: mine } = await app.createToken(bob);
    const adminView = await app.request('GET', '/v1/tokens?limit=100', { jwt: alice });
    expect(adminView.body.items.map((t: { id: string }) => t.id)).toContain(mine.id);
    const carolView = await app.request('GET', '/v1/tokens?limit=100', { jwt: await app.login('carol') });
    expect(carolView.body.items.every((t: { ownerId: string }) => t.ownerId === 'carol')).toBe(true);
    const carolAsksForBob = await app.request('GET', '/v1/tokens?owner=bob', { jwt: await app.login('carol') });
    expect(carolAsksForBob.body).toEqual({ items: [], nextCursor: null });
  });
});
