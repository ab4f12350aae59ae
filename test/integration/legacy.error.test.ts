// Legacy import and legacy tokens, the refusals (rules.md §1.11, §3, §6): idempotence, the users
// that get no legacy token, and what cannot be done to a legacy token.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyTokenId, sha256Hex } from '../../shared/token-value.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { importRecords as importRecordsOf, legacyCredential, newUser as newUserOf } from '../helpers/legacy.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const newUser = (userId: string, role?: string) => newUserOf(app, userId, role);


const importRecords = (credentials: unknown[]) => importRecordsOf(app, credentials);

describe('legacy import: idempotence', () => {
  it('skips a UUID imported before as already_imported', async () => {
    // Prepare
    await newUser('legacy-repeat');
    const c = legacyCredential('legacy-repeat');
    expect((await importRecords([c.record])).body.imported).toBe(1);
    // Act
    const r = await importRecords([c.record]);
    // Assess
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ imported: 0, skipped: [{ uuid: c.uuid, reason: 'already_imported' }] });
  });

  it('imports a UUID repeated within one batch once', async () => {
    await newUser('legacy-twice');
    const c = legacyCredential('legacy-twice');
    const r = await importRecords([c.record, { ...c.record, uuid: c.uuid.toUpperCase() }]);
    expect(r.body.imported).toBe(1);
    expect(r.body.skipped).toEqual([{ uuid: c.uuid.toUpperCase(), reason: 'already_imported' }]);
  });

  it('keeps the first secret when a repeat brings another one', async () => {
    await newUser('legacy-first-wins');
    const c = legacyCredential('legacy-first-wins');
    const other = randomBytes(24).toString('base64url');
    await importRecords([c.record]);
    await importRecords([{ ...c.record, secretSha256: sha256Hex(other) }]);
    const headers = (secret: string) => ({ 'X-API-UUID': c.uuid, 'X-API-Secret': secret });
    expect((await app.request('GET', '/example/whoami', { headers: headers(c.secret) })).status).toBe(200);
    expect((await app.request('GET', '/example/whoami', { headers: headers(other) })).status).toBe(403);
  });
});

describe('legacy import: skipped users', () => {
  it('skips an SSO user and an unknown user, each with its reason', async () => {
    // Prepare: dave signs in with SSO (seeded); nobody is unknown to Tessera.
    const sso = legacyCredential('dave');
    const unknown = legacyCredential('nobody-here');
    const otherTenant = legacyCredential('bob', 'globex');
    // Act
    const r = await importRecords([sso.record, unknown.record, otherTenant.record]);
    // Assess
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      imported: 0,
      skipped: [
        { uuid: sso.uuid, reason: 'sso_user' },
        { uuid: unknown.uuid, reason: 'unknown_user' },
        { uuid: otherTenant.uuid, reason: 'unknown_user' },
      ],
    });
  });

  it('skips a deleted user as unknown', async () => {
    await newUser('legacy-deleted');
    await app.userEvent('UserDeleted', { tenantId: 'acme', userId: 'legacy-deleted', version: 2 });
    const c = legacyCredential('legacy-deleted');
    expect((await importRecords([c.record])).body.skipped).toEqual([{ uuid: c.uuid, reason: 'unknown_user' }]);
  });

  it('skips a malformed record as invalid and imports the rest', async () => {
    await newUser('legacy-mixed');
    const good = legacyCredential('legacy-mixed');
    const r = await importRecords([
      { ...legacyCredential('legacy-mixed').record, secretSha256: 'not-hex' },
      { ...legacyCredential('legacy-mixed').record, uuid: 'not-a-uuid' },
      good.record,
    ]);
    expect(r.body.imported).toBe(1);
    expect(r.body.skipped.map((s: { reason: string }) => s.reason)).toEqual(['invalid', 'invalid']);
  });

  it('answers 400 for a body that is not {credentials: [...]}', async () => {
    expect((await app.request('POST', '/_local/legacy-import', { body: [{}] })).status).toBe(400);
  });
});

describe('legacy tokens: what cannot be changed', () => {
  it('answers 409 to a change of a legacy token\'s permissions', async () => {
    // Prepare
    const jwt = await newUser('legacy-patch');
    const c = legacyCredential('legacy-patch');
    await importRecords([c.record]);
    // Act
    const r = await app.request('PATCH', `/v1/tokens/${legacyTokenId(c.uuid)}`, { jwt, body: { permissions: ['events:read'] } });
    // Assess
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('CONFLICT');
  });

  it('answers 409 to viewing a legacy token\'s value, which Tessera never had', async () => {
    const jwt = await newUser('legacy-value');
    const c = legacyCredential('legacy-value');
    await importRecords([c.record]);
    const r = await app.request('GET', `/v1/tokens/${legacyTokenId(c.uuid)}/value`, { jwt });
    expect(r.status).toBe(409);
  });
});
