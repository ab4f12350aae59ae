// A legacy UUID is imported once: deleting its token, by hand or by the week-later TTL deletion,
// is final, and a re-run import skips the UUID.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { legacyTokenId } from '../../shared/token-value.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const credential = (uuid: string) => ({ tenantId: 'acme', userId: 'bob', uuid, secretSha256: createHash('sha256').update('s3cret').digest('hex') });
const importOne = (uuid: string) => app.request('POST', '/_local/legacy-import', { body: { credentials: [credential(uuid)] } });

it('skips a deleted legacy UUID as revoked when the import runs again', async () => {
  const uuid = '0b6f7a52-1c1e-4d5e-9f00-000000000001';
  expect((await importOne(uuid)).body.imported).toBe(1);
  const bob = await app.login('bob');
  expect((await app.request('DELETE', `/v1/tokens/${legacyTokenId(uuid)}`, { jwt: bob })).status).toBe(204);
  const again = await importOne(uuid);
  expect(again.body).toEqual({ imported: 0, skipped: [{ uuid, reason: 'revoked' }] });
  const auth = await app.request('GET', '/example/whoami', { headers: { 'x-api-uuid': uuid, 'x-api-secret': 's3cret' } });
  expect(auth.status).toBe(403);
});

it('skips the UUID of a renewed-then-deleted legacy token too', async () => {
  const uuid = '0b6f7a52-1c1e-4d5e-9f00-000000000002';
  await importOne(uuid);
  const bob = await app.login('bob');
  const renewed = await app.request('POST', `/v1/tokens/${legacyTokenId(uuid)}/renew`, { jwt: bob, body: {} });
  expect(renewed.body.token.legacy).toBe(false);
  expect((await importOne(uuid)).body.skipped).toEqual([{ uuid, reason: 'already_imported' }]);
  await app.request('DELETE', `/v1/tokens/${legacyTokenId(uuid)}`, { jwt: bob });
  expect((await importOne(uuid)).body.skipped).toEqual([{ uuid, reason: 'revoked' }]);
});

it('never imports a UUID again after the week-later deletion removed its token', async () => {
  const uuid = '0b6f7a52-1c1e-4d5e-9f00-000000000003';
  expect((await importOne(uuid)).body.imported).toBe(1);
  await app.request('PATCH', `/v1/tokens/${legacyTokenId(uuid)}`, { jwt: await app.login('bob'), body: { enabled: false } });
  await app.advance(7 * 86_400 + 60);
  expect((await app.request('GET', `/v1/tokens/${legacyTokenId(uuid)}`, { jwt: await app.login('bob') })).status).toBe(404);
  expect((await importOne(uuid)).body).toEqual({ imported: 0, skipped: [{ uuid, reason: 'already_imported' }] });
  const auth = await app.request('GET', '/example/whoami', { headers: { 'x-api-uuid': uuid, 'x-api-secret': 's3cret' } });
  expect(auth.status).toBe(403);
});
