// The management API's error answers (rules.md §3): exact codes, field messages, never a 500.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type Reply, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let bob: string;
beforeAll(async () => {
  app = await startTestApp();
  bob = await app.login('bob');
});
// Tests below move the service clock by days; JWTs are checked on that clock, so log in again.
beforeEach(async () => {
  bob = await app.login('bob');
});
afterAll(async () => app?.close());

const DAY_MS = 86_400_000;
const future = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();

async function expectError(r: Reply, status: number, code: string) {
  expect(r.status, r.text).toBe(status);
  expect(r.body.error.code).toBe(code);
  expect(typeof r.body.error.message).toBe('string');
  expect(typeof r.body.error.requestId).toBe('string');
}

describe('create: validation', () => {
  it.each([
    ['an unknown permission (§1.2)', { name: 'x', permissions: ['events:delete'] }, 'body.permissions.0'],
    ['no permissions (§1.2)', { name: 'x', permissions: [] }, 'body.permissions'],
    ['a missing name', { permissions: ['events:read'] }, 'body.name'],
    ['a blank name', { name: '   ', permissions: ['events:read'] }, 'body.name'],
    ['a name over 100 characters', { name: 'x'.repeat(101), permissions: ['events:read'] }, 'body.name'],
    ['an expiry in the past (§1.3)', { name: 'x', permissions: ['events:read'], expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
    ['an expiry that is not a date', { name: 'x', permissions: ['events:read'], expiresAt: 'tomorrow' }, 'body.expiresAt'],
    ['an unknown visibility', { name: 'x', permissions: ['events:read'], visibility: 'public' }, 'body.visibility'],
    ['an unknown field', { name: 'x', permissions: ['events:read'], owner: 'alice' }, 'body'],
    ['a non-object body', ['events:read'], 'body'],
  ])('answers 400 VALIDATION for %s, naming the field', async (_what, body, field) => {
    const r = await app.request('POST', '/v1/tokens', { jwt: bob, body });
    await expectError(r, 400, 'VALIDATION');
    expect(r.body.error.fields.map((f: { path: string }) => f.path)).toContain(field);
  });

  it('answers 400 for malformed JSON and for an empty body', async () => {
    await expectError(await app.request('POST', '/v1/tokens', { jwt: bob, raw: '{"name": "x",' }), 400, 'VALIDATION');
    await expectError(await app.request('POST', '/v1/tokens', { jwt: bob }), 400, 'VALIDATION');
  });

  it('answers 413 for a body over 64 KiB and creates nothing', async () => {
    const before = (await app.request('GET', '/v1/tokens?limit=100', { jwt: bob })).body.items.length;
    const r = await app.request('POST', '/v1/tokens', { jwt: bob, body: { name: 'x', permissions: ['events:read'], description: 'y'.repeat(70_000) } });
    await expectError(r, 413, 'PAYLOAD_TOO_LARGE');
    expect((await app.request('GET', '/v1/tokens?limit=100', { jwt: bob })).body.items.length).toBe(before);
  });

  it('refuses a shared token to a non-administrator with 403 FORBIDDEN (§1.7)', async () => {
    await expectError(await app.request('POST', '/v1/tokens', { jwt: bob, body: { name: 'x', permissions: ['events:read'], visibility: 'shared' } }), 403, 'FORBIDDEN');
  });

  it('refuses a user Tessera has never heard of with 403 FORBIDDEN', async () => {
    await expectError(await app.request('POST', '/v1/tokens', { jwt: await app.login('ghost'), body: { name: 'x', permissions: ['events:read'] } }), 403, 'FORBIDDEN');
  });
});

describe('patch: rules', () => {
  it('answers 400 for an empty patch, a past expiry and an unknown field', async () => {
    const { token } = await app.createToken(bob);
    await expectError(await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: {} }), 400, 'VALIDATION');
    await expectError(await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { expiresAt: '2001-01-01T00:00:00Z' } }), 400, 'VALIDATION');
    await expectError(await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { visibility: 'shared' } }), 400, 'VALIDATION');
  });

  it('never gives a token more than its owner holds now, whoever patches (§1.2)', async () => {
    const { token } = await app.createToken(bob);
    await expectError(await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { permissions: ['users:read'] } }), 403, 'PERMISSION_NOT_HELD');
    const alice = await app.login('alice');
    await expectError(await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: alice, body: { permissions: ['users:read'] } }), 403, 'PERMISSION_NOT_HELD');
  });

  it("binds an admin changing someone else's token by the admin's own permissions", async () => {
    await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'nadia', version: 1, role: 'admin', status: 'active', authMethod: 'password', permissions: ['events:read'] });
    const { token } = await app.createToken(bob, { permissions: ['events:read'] });
    const nadia = await app.login('nadia');
    const r = await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: nadia, body: { permissions: ['events:read', 'rules:read'] } });
    await expectError(r, 403, 'PERMISSION_NOT_HELD');
    expect(r.body.error.message).toContain('rules:read');
  });

  it('refuses to enable an expired token unless the same patch moves the expiry forward (§1.3, §1.4)', async () => {
    const { token } = await app.createToken(bob, { expiresAt: future(1) });
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { enabled: false } });
    await app.advance(2 * 86_400);
    bob = await app.login('bob');
    const expired = await app.request('GET', `/v1/tokens/${token.id}`, { jwt: bob });
    expect(expired.body.status).toBe('disabled');
    await expectError(await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { enabled: true } }), 409, 'CONFLICT');
    const later = new Date(Date.parse((await app.request('GET', '/v1/health')).body.time) + 5 * DAY_MS).toISOString();
    const r = await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { enabled: true, expiresAt: later } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ status: 'enabled', expiresAt: later });
  });

  it('refuses to enable a token while its owner is disabled (§1.10)', async () => {
    await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'omar', version: 1, role: 'analyst', status: 'active', authMethod: 'password' });
    const omar = await app.login('omar');
    const { token } = await app.createToken(omar);
    await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'omar', version: 2, role: 'analyst', status: 'disabled', authMethod: 'password' });
    const alice = await app.login('alice');
    const got = await app.request('GET', `/v1/tokens/${token.id}`, { jwt: alice });
    expect(got.body).toMatchObject({ status: 'disabled', disabledReason: 'owner_disabled' });
    await expectError(await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: alice, body: { enabled: true } }), 409, 'CONFLICT');
  });
});

describe('renew, list and ids: validation', () => {
  it.each([[86_401], [-1], [1.5], ['60']])('answers 400 for graceSeconds %j (§1.6: at most 24 h)', async (graceSeconds) => {
    const { token } = await app.createToken(bob);
    await expectError(await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: bob, body: { graceSeconds } }), 400, 'VALIDATION');
  });

  it('never keeps the old value past the expiry, whatever the grace period (§1.6)', async () => {
    const expiresAt = new Date(Date.parse((await app.request('GET', '/v1/health')).body.time) + 60_000).toISOString();
    const { token, value: old } = await app.createToken(bob, { expiresAt });
    const r = await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: bob, body: { graceSeconds: 86_400 } });
    expect(r.status).toBe(200);
    expect((await app.callExample(old)).status).toBe(200);
    await app.advance(61);
    expect((await app.callExample(old)).status).toBe(403);
  });

  it.each(['limit=0', 'limit=101', 'limit=abc', 'status=gone', 'cursor=%%%', 'cursor=eyJ2IjoxfQ', 'sort=asc'])('answers 400 for the query %s', async (q) => {
    await expectError(await app.request('GET', `/v1/tokens?${q}`, { jwt: bob }), 400, 'VALIDATION');
  });

  it('answers 400 for a cursor taken from a different query', async () => {
    for (let i = 0; i < 3; i++) await app.createToken(bob);
    const first = await app.request('GET', '/v1/tokens?limit=1', { jwt: bob });
    expect(first.body.nextCursor).toBeTruthy();
    await expectError(await app.request('GET', `/v1/tokens?limit=1&status=disabled&cursor=${first.body.nextCursor}`, { jwt: bob }), 400, 'VALIDATION');
    await expectError(await app.request('GET', `/v1/tokens?limit=1&cursor=${first.body.nextCursor}`, { jwt: await app.login('carol') }), 400, 'VALIDATION');
  });

  it('answers 400 for a malformed token id and 404 for an unknown one', async () => {
    await expectError(await app.request('GET', '/v1/tokens/not-a-token', { jwt: bob }), 400, 'VALIDATION');
    await expectError(await app.request('GET', '/v1/tokens/%E0%A4%A', { jwt: bob }), 400, 'VALIDATION');
    await expectError(await app.request('GET', '/v1/tokens/tok_00000000000000000', { jwt: bob }), 404, 'NOT_FOUND');
  });
});
