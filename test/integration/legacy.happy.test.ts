// Legacy UUID + secret credentials (rules.md §1.11, §6): the import job through
// POST /_local/legacy-import, and the authorizer accepting what it imported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyTokenId } from '../../shared/token-value.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { importRecords as importRecordsOf, legacyCredential, newUser as newUserOf } from '../helpers/legacy.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const ACCEPTANCE_WINDOW = 10; // TESSERA_AUTH_CACHE_SECONDS default

const newUser = (userId: string, role?: string) => newUserOf(app, userId, role);


const importRecords = (credentials: unknown[]) => importRecordsOf(app, credentials);

const callLegacy = (uuid: string, secret: string, path = '/example/whoami') =>
  app.request('GET', path, { headers: { 'X-API-UUID': uuid, 'X-API-Secret': secret } });

describe('legacy credentials: import', () => {
  it('imports one legacy token per record and reports the count', async () => {
    // Prepare
    await newUser('legacy-count-1');
    await newUser('legacy-count-2');
    const a = legacyCredential('legacy-count-1');
    const b = legacyCredential('legacy-count-2');
    // Act
    const r = await importRecords([a.record, b.record]);
    // Assess
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ imported: 2, skipped: [] });
  });

  it('shows the imported token as legacy, with permissions null, to its owner', async () => {
    // Prepare
    const jwt = await newUser('legacy-shown');
    const c = legacyCredential('legacy-shown');
    await importRecords([c.record]);
    // Act
    const r = await app.request('GET', `/v1/tokens/${legacyTokenId(c.uuid)}`, { jwt });
    // Assess
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: legacyTokenId(c.uuid), ownerId: 'legacy-shown', legacy: true, permissions: null, status: 'enabled' });
    expect(JSON.stringify(r.body)).not.toContain(c.record.secretSha256);
  });
});

describe('legacy credentials: the authorizer', () => {
  it('accepts X-API-UUID and X-API-Secret with the owner\'s permissions in the context', async () => {
    // Prepare
    await newUser('legacy-verify', 'read_only');
    const c = legacyCredential('legacy-verify');
    await importRecords([c.record]);
    // Act
    const r = await callLegacy(c.uuid, c.secret);
    // Assess
    expect(r.status).toBe(200);
    expect(r.body.context).toEqual({
      tenantId: 'acme',
      userId: 'legacy-verify',
      tokenId: legacyTokenId(c.uuid),
      permissions: 'events:read rules:read nodes:read integrations:read api_inventory:read settings:read',
    });
    expect((await callLegacy(c.uuid, c.secret, '/example/events')).status).toBe(200);
  });

  it('accepts the UUID in upper case', async () => {
    await newUser('legacy-upper');
    const c = legacyCredential('legacy-upper');
    await importRecords([c.record]);
    expect((await callLegacy(c.uuid.toUpperCase(), c.secret)).status).toBe(200);
  });

  it('follows the owner\'s current permissions when the owner\'s role changes', async () => {
    // Prepare
    await newUser('legacy-follows', 'deploy');
    const c = legacyCredential('legacy-follows');
    await importRecords([c.record]);
    expect((await callLegacy(c.uuid, c.secret)).body.context.permissions).toBe('nodes:read nodes:write');
    // Act
    await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'legacy-follows', version: 2, role: 'api_developer', status: 'active', authMethod: 'password' });
    await app.advance(ACCEPTANCE_WINDOW + 1);
    const r = await callLegacy(c.uuid, c.secret);
    // Assess
    expect(r.status).toBe(200);
    expect(r.body.context.permissions).toBe('api_inventory:read api_inventory:write');
  });
});

describe('legacy credentials: renew', () => {
  it('turns the legacy token into a normal one whose tsr_ value works', async () => {
    // Prepare
    const jwt = await newUser('legacy-renew', 'read_only');
    const c = legacyCredential('legacy-renew');
    await importRecords([c.record]);
    const id = legacyTokenId(c.uuid);
    // Act
    const renewed = await app.request('POST', `/v1/tokens/${id}/renew`, { jwt, body: {} });
    const r = await app.callExample(renewed.body.value);
    // Assess
    expect(renewed.status).toBe(200);
    expect(renewed.body.value).toMatch(/^tsr_[0-9A-Za-z]{109}$/);
    expect(renewed.body.token).toMatchObject({ id, legacy: false, permissions: ['events:read', 'rules:read', 'nodes:read', 'integrations:read', 'api_inventory:read', 'settings:read'] });
    expect(r.status).toBe(200);
    expect(r.body.context).toMatchObject({ userId: 'legacy-renew', tokenId: id });
    // Its value can now be viewed, like any normal token's.
    expect((await app.request('GET', `/v1/tokens/${id}/value`, { jwt })).body.value).toBe(renewed.body.value);
  });
});
