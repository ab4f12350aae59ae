// Visibility, privacy and tenant walls through HTTP (rules.md §1.7–§1.9, §1.12), and what a
// table dump reveals.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { store } from '../../shared/store/client.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
const jwt: Record<string, string> = {};
let priv: { token: any; value: string };
let shared: { token: any; value: string };

beforeAll(async () => {
  app = await startTestApp();
  await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'dora', version: 1, role: 'analyst', status: 'disabled', authMethod: 'password' });
  for (const [name, tenant] of [['bob', 'acme'], ['carol', 'acme'], ['alice', 'acme'], ['erin', 'acme'], ['dave', 'acme'], ['dora', 'acme'], ['gina', 'globex']]) {
    jwt[name] = await app.login(name, tenant);
  }
  priv = await app.createToken(jwt.bob, { name: 'bob private' });
  shared = await app.createToken(jwt.alice, { name: 'alice shared', visibility: 'shared', permissions: ['users:read'] });
});
afterAll(async () => app?.close());

const routes = (id: string) => [
  ['GET', `/v1/tokens/${id}`, undefined],
  ['GET', `/v1/tokens/${id}/value`, undefined],
  ['PATCH', `/v1/tokens/${id}`, { name: 'hijacked' }],
  ['POST', `/v1/tokens/${id}/renew`, {}],
  ['DELETE', `/v1/tokens/${id}`, undefined],
] as const;

describe('visibility', () => {
  it("answers 404, never 403, when a user touches another user's token (§1.8)", async () => {
    for (const [method, path, body] of routes(priv.token.id)) {
      const r = await app.request(method, path, { jwt: jwt.carol, body });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
  });

  it("answers 404 when a user touches an administrator's shared token (§1.7)", async () => {
    for (const [method, path, body] of routes(shared.token.id)) {
      expect((await app.request(method, path, { jwt: jwt.bob, body })).status, `${method} ${path}`).toBe(404);
    }
  });

  it('answers 404 to an administrator of another tenant on every route (§1.12)', async () => {
    for (const id of [priv.token.id, shared.token.id]) {
      for (const [method, path, body] of routes(id)) {
        expect((await app.request(method, path, { jwt: jwt.gina, body })).status, `${method} ${path}`).toBe(404);
      }
    }
    const list = await app.request('GET', '/v1/tokens?limit=100', { jwt: jwt.gina });
    expect(list.body.items.filter((t: { tenantId: string }) => t.tenantId !== 'globex')).toEqual([]);
    const byOwner = await app.request('GET', '/v1/tokens?owner=bob', { jwt: jwt.gina });
    expect(byOwner.body.items).toEqual([]);
  });

  it("refuses an administrator the value of a user's private token with 403 TOKEN_PRIVATE, and its renewal (§1.8)", async () => {
    const value = await app.request('GET', `/v1/tokens/${priv.token.id}/value`, { jwt: jwt.alice });
    expect(value.status).toBe(403);
    expect(value.body.error.code).toBe('TOKEN_PRIVATE');
    expect(value.text).not.toContain(priv.value);
    const renew = await app.request('POST', `/v1/tokens/${priv.token.id}/renew`, { jwt: jwt.alice, body: {} });
    expect(renew.status).toBe(403);
    expect(renew.body.error.code).toBe('TOKEN_PRIVATE');
    expect((await app.callExample(priv.value)).status).toBe(200); // the owner's value still works
  });

  it('answers an SSO user 403 SSO_USER on every token route (§1.9)', async () => {
    const all = [...routes(priv.token.id), ['GET', '/v1/tokens', undefined], ['POST', '/v1/tokens', { name: 'x', permissions: ['events:read'] }]] as const;
    for (const [method, path, body] of all) {
      const r = await app.request(method, path, { jwt: jwt.dave, body });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe('SSO_USER');
    }
  });

  it('answers a disabled user 403 FORBIDDEN on every token route', async () => {
    for (const [method, path, body] of [...routes(priv.token.id), ['GET', '/v1/tokens', undefined]] as const) {
      const r = await app.request(method, path, { jwt: jwt.dora, body });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
  });
});

describe('secrets', () => {
  it('never returns a value or a hash from metadata, list or patch responses', async () => {
    const { token, value } = await app.createToken(jwt.bob);
    const texts = [
      (await app.request('GET', `/v1/tokens/${token.id}`, { jwt: jwt.bob })).text,
      (await app.request('GET', '/v1/tokens?limit=100', { jwt: jwt.bob })).text,
      (await app.request('GET', '/v1/tokens?limit=100', { jwt: jwt.alice })).text,
      (await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: jwt.bob, body: { name: 'n' } })).text,
    ];
    for (const text of texts) {
      expect(text).not.toContain(value);
      expect(text).not.toMatch(/"(hash|prevHash|sealed|legacySecretSha256)"/);
      expect(text).not.toMatch(/tsr_[0-9A-Za-z]{87}/); // matches the tagged format too
    }
  });

  it('keeps nothing in the table from which a value could be used (§4)', async () => {
    const { value } = await app.createToken(jwt.bob);
    const dump = JSON.stringify((await store().send(new ScanCommand({ TableName: process.env.TESSERA_TABLE }))).Items);
    expect(dump).not.toContain(value);
    expect(dump).not.toContain(value.slice(4, 40)); // not even the secret part
    expect(dump).toMatch(/"sealed":"v1\.kms-[\w-]+\.[\w-]+\./); // AES-GCM with a key id and its KMS-encrypted data key
  });
});
