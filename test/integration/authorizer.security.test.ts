// The authorizer's security cases through /example/*: owners who may no longer hold tokens
// (rules.md §1.9, §1.10), including before the cascade has run, forged and mistyped values, and
// the offline rejection that spares the store.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { putUserIfNewer } from '../../shared/store/users.ts';
import { mintUntaggedValue } from '../../shared/token-value.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { storeCallsDuring } from '../helpers/store-calls.ts';

let app: TestApp;
let alice: string; // an administrator of acme: sees every token of the tenant
beforeAll(async () => {
  app = await startTestApp();
  alice = await app.login('alice');
});
afterAll(async () => app?.close());
afterEach(() => vi.restoreAllMocks());

const ACCEPTANCE_WINDOW = 10; // TESSERA_AUTH_CACHE_SECONDS default

async function newUser(userId: string, role = 'analyst'): Promise<string> {
  const r = await app.userEvent('UserChanged', { tenantId: 'acme', userId, version: 1, role, status: 'active', authMethod: 'password' });
  expect(r.status).toBe(200);
  return app.login(userId);
}

const change = (userId: string, version: number, fields: Record<string, unknown>) =>
  app.userEvent('UserChanged', { tenantId: 'acme', userId, version, role: 'analyst', status: 'active', authMethod: 'password', ...fields });

describe('authorizer: owners who may not hold tokens', () => {
  it('rejects a token of an owner who is disabled', async () => {
    // Prepare
    const jwt = await newUser('owner-disabled');
    const { token, value } = await app.createToken(jwt);
    // Act
    await change('owner-disabled', 2, { status: 'disabled' });
    const r = await app.callExample(value);
    // Assess
    expect(r.status).toBe(403);
    const seen = await app.request('GET', `/v1/tokens/${token.id}`, { jwt: alice });
    expect(seen.body).toMatchObject({ status: 'disabled', disabledReason: 'owner_disabled' });
  });

  it('rejects a token of an owner who switched to SSO', async () => {
    const jwt = await newUser('owner-sso');
    const { value } = await app.createToken(jwt);
    await change('owner-sso', 2, { authMethod: 'sso' });
    expect((await app.callExample(value)).status).toBe(403);
  });

  it('rejects a token of an owner who was deleted', async () => {
    const jwt = await newUser('owner-deleted');
    const { value } = await app.createToken(jwt);
    await app.userEvent('UserDeleted', { tenantId: 'acme', userId: 'owner-deleted', version: 2 });
    expect((await app.callExample(value)).status).toBe(403);
  });

  it('rejects a disabled owner\'s token as soon as the change is recorded, before the cascade has run', async () => {
    // Prepare: the token is in use (its acceptance is cached).
    const jwt = await newUser('owner-mid-cascade');
    const { token, value } = await app.createToken(jwt);
    expect((await app.callExample(value)).status).toBe(200);
    // Act: record the change the way applyUserEvent does first, and run no cascade.
    const write = await putUserIfNewer({
      tenantId: 'acme', userId: 'owner-mid-cascade', version: 2, role: 'analyst', permissions: null,
      status: 'disabled', authMethod: 'password', email: null, updatedAt: new Date().toISOString(),
    });
    await app.advance(ACCEPTANCE_WINDOW + 1);
    const r = await app.callExample(value);
    // Assess: rejected, although the token itself is still enabled.
    expect(write).toBe('applied');
    expect(r.status).toBe(403);
    const seen = await app.request('GET', `/v1/tokens/${token.id}`, { jwt: alice });
    expect(seen.body.status).toBe('enabled');
  });

  it('bounds the context by the owner\'s current permissions before the narrowing cascade has run', async () => {
    // Prepare
    const jwt = await newUser('owner-narrowed');
    const { token, value } = await app.createToken(jwt, { permissions: ['events:read', 'events:write', 'rules:read'] });
    // Act
    await putUserIfNewer({
      tenantId: 'acme', userId: 'owner-narrowed', version: 2, role: 'analyst', permissions: ['rules:read'],
      status: 'active', authMethod: 'password', email: null, updatedAt: new Date().toISOString(),
    });
    const who = await app.callExample(value);
    const events = await app.callExample(value, '/example/events');
    // Assess
    expect(who.body.context.permissions).toBe('rules:read');
    expect(events.status).toBe(403);
    const seen = await app.request('GET', `/v1/tokens/${token.id}`, { jwt: alice });
    expect(seen.body.permissions).toEqual(['events:read', 'events:write', 'rules:read']);
  });

  it('rejects a token whose permissions the owner no longer holds at all', async () => {
    const jwt = await newUser('owner-revoked', 'analyst');
    const { value } = await app.createToken(jwt, { permissions: ['events:write'] });
    await change('owner-revoked', 2, { role: 'read_only' });
    expect((await app.callExample(value)).status).toBe(403);
  });
});

describe('authorizer: forged and mistyped values', () => {
  it('rejects a value minted for an existing token with another secret', async () => {
    // Prepare
    const { token } = await app.createToken(await app.login('bob'));
    // Act: right token id, right owner, right checksum, wrong secret.
    const forged = mintUntaggedValue(token.id, 'acme', 'bob');
    // Assess
    expect((await app.callExample(forged)).status).toBe(403);
  });

  it('rejects a value whose owner part names another user', async () => {
    const { token } = await app.createToken(await app.login('bob'));
    const forged = mintUntaggedValue(token.id, 'acme', 'alice');
    expect((await app.callExample(forged)).status).toBe(403);
  });

  it('rejects a malformed value and a value with a bad checksum without reading the store', async () => {
    // Prepare
    const { value } = await app.createToken(await app.login('bob'));
    const typo = value.slice(0, -1) + (value.endsWith('a') ? 'b' : 'a');
    // Act
    let statuses: number[] = [];
    const calls = await storeCallsDuring(app, 'authorizer', async () => {
      statuses = [(await app.callExample('tsr_nope')).status, (await app.callExample(typo)).status];
    });
    // Assess
    expect(statuses).toEqual([403, 403]);
    expect(calls).toEqual([]);
  });
});
