// Legacy credentials, the security cases (rules.md §1.9–§1.11): the secret is checked, nothing but
// the secret opens the door, and renewing ends the UUID + secret login.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyTokenId, sha256Hex } from '../../shared/token-value.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { newUser as newUserOf } from '../helpers/legacy.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const ACCEPTANCE_WINDOW = 10; // TESSERA_AUTH_CACHE_SECONDS default

const newUser = (userId: string, role?: string) => newUserOf(app, userId, role);

async function imported(userId: string) {
  const uuid = randomUUID();
  const secret = randomBytes(24).toString('base64url');
  const r = await app.request('POST', '/_local/legacy-import', {
    body: { credentials: [{ tenantId: 'acme', userId, uuid, secretSha256: sha256Hex(secret) }] },
  });
  expect(r.body.imported).toBe(1);
  return { uuid, secret };
}

const callLegacy = (uuid: string, secret: string) =>
  app.request('GET', '/example/whoami', { headers: { 'X-API-UUID': uuid, 'X-API-Secret': secret } });

describe('legacy credentials: the secret', () => {
  it('answers 403 to a wrong secret', async () => {
    await newUser('legacy-wrong');
    const c = await imported('legacy-wrong');
    expect((await callLegacy(c.uuid, `${c.secret}x`)).status).toBe(403);
    expect((await callLegacy(c.uuid, c.secret.toUpperCase())).status).toBe(403);
  });

  it('answers 403 to the secret\'s SHA-256, so a leaked import file opens nothing', async () => {
    await newUser('legacy-hash');
    const c = await imported('legacy-hash');
    expect((await callLegacy(c.uuid, sha256Hex(c.secret))).status).toBe(403);
  });

  it('answers 403 to a right secret under another UUID', async () => {
    await newUser('legacy-swap');
    const c = await imported('legacy-swap');
    const d = await imported('legacy-swap');
    expect((await callLegacy(d.uuid, c.secret)).status).toBe(403);
    expect((await callLegacy(randomUUID(), c.secret)).status).toBe(403);
  });
});

describe('legacy credentials: owners', () => {
  it('rejects the credential of an owner who is disabled', async () => {
    await newUser('legacy-disabled');
    const c = await imported('legacy-disabled');
    await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'legacy-disabled', version: 2, role: 'analyst', status: 'disabled', authMethod: 'password' });
    expect((await callLegacy(c.uuid, c.secret)).status).toBe(403);
  });

  it('imports the credential of a disabled owner disabled', async () => {
    await newUser('legacy-born-disabled');
    await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'legacy-born-disabled', version: 2, role: 'analyst', status: 'disabled', authMethod: 'password' });
    const c = await imported('legacy-born-disabled');
    expect((await callLegacy(c.uuid, c.secret)).status).toBe(403);
  });

  it('lets nobody but the owner renew a legacy token, not even an administrator', async () => {
    await newUser('legacy-private');
    const c = await imported('legacy-private');
    const r = await app.request('POST', `/v1/tokens/${legacyTokenId(c.uuid)}/renew`, { jwt: await app.login('alice'), body: {} });
    expect(r.status).toBe(403);
    expect((await callLegacy(c.uuid, c.secret)).status).toBe(200);
  });
});

describe('legacy credentials: renew', () => {
  it('ends the UUID and secret login when the token is renewed', async () => {
    // Prepare: the credential is in use.
    const jwt = await newUser('legacy-ended');
    const c = await imported('legacy-ended');
    expect((await callLegacy(c.uuid, c.secret)).status).toBe(200);
    // Act
    const renewed = await app.request('POST', `/v1/tokens/${legacyTokenId(c.uuid)}/renew`, { jwt, body: { graceSeconds: 3600 } });
    await app.advance(ACCEPTANCE_WINDOW + 1); // past the acceptance this container cached
    // Assess: a grace period keeps no legacy login alive; the new value works.
    expect(renewed.status).toBe(200);
    expect((await callLegacy(c.uuid, c.secret)).status).toBe(403);
    expect((await app.callExample(renewed.body.value)).status).toBe(200);
  });

  it('ends it at once when the credential was not in use', async () => {
    const jwt = await newUser('legacy-ended-cold');
    const c = await imported('legacy-ended-cold');
    await app.request('POST', `/v1/tokens/${legacyTokenId(c.uuid)}/renew`, { jwt, body: {} });
    expect((await callLegacy(c.uuid, c.secret)).status).toBe(403);
  });
});
