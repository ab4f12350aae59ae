// The walking skeleton through HTTP: health, me, create, list, the example API, errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

describe('foundation', () => {
  it('answers health without auth', async () => {
    const r = await app.request('GET', '/v1/health');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
  });

  it('refuses a missing or forged JWT with 401 before any handler runs', async () => {
    expect((await app.request('GET', '/v1/me')).status).toBe(401);
    const forged = (await app.login('bob')).replace(/\.[^.]+$/, '.AAAA');
    expect((await app.request('GET', '/v1/me', { jwt: forged })).status).toBe(401);
  });

  it('describes the caller on /v1/me', async () => {
    const r = await app.request('GET', '/v1/me', { jwt: await app.login('bob') });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ tenantId: 'acme', userId: 'bob', role: 'analyst', isAdmin: false });
    expect(r.body.canUseTokens).toBe(true);
    expect(r.body.grantablePermissions).toContain('events:read');
    expect(r.body.grantablePermissions).not.toContain('users:write');
  });

  it('creates a token that the example API accepts, and lists it', async () => {
    const jwt = await app.login('bob');
    const { token, value } = await app.createToken(jwt, { name: 'ci' });
    expect(value).toMatch(/^tsr_[0-9A-Za-z]{109}$/);
    expect(token).toMatchObject({ name: 'ci', ownerId: 'bob', status: 'enabled', visibility: 'private', legacy: false });
    expect(JSON.stringify(token)).not.toContain(value);
    const who = await app.callExample(value);
    expect(who.status).toBe(200);
    expect(who.body.context).toMatchObject({ tenantId: 'acme', userId: 'bob', tokenId: token.id, permissions: 'events:read' });
    const list = await app.request('GET', '/v1/tokens', { jwt });
    expect(list.body.items.map((t: { id: string }) => t.id)).toContain(token.id);
  });

  it('refuses a permission the caller does not hold with 403 PERMISSION_NOT_HELD (§1.2)', async () => {
    const r = await app.request('POST', '/v1/tokens', { jwt: await app.login('bob'), body: { name: 'x', permissions: ['users:write'] } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('PERMISSION_NOT_HELD');
  });

  it('answers malformed JSON with 400 VALIDATION in the error envelope', async () => {
    const r = await app.request('POST', '/v1/tokens', { jwt: await app.login('bob'), raw: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'VALIDATION' });
    expect(typeof r.body.error.requestId).toBe('string');
  });

  it('updates the user projection through the local bus', async () => {
    const r = await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'newbie', version: 1, role: 'deploy', status: 'active', authMethod: 'password' });
    expect(r.status).toBe(200);
    const me = await app.request('GET', '/v1/me', { jwt: await app.login('newbie') });
    expect(me.body.grantablePermissions).toEqual(['nodes:read', 'nodes:write']);
  });
});
