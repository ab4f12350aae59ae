// The Tessera authorizer through the local API Gateway stand-in (/example/*): what a valid token
// gets, lastUsedAt, and the store reads of the verification path (rules.md §4).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { clearVerifyCaches } from '../../shared/domain/verify.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { READS, storeCallsDuring } from '../helpers/store-calls.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());
afterEach(() => vi.restoreAllMocks());

/** A user of their own per test, so owner changes never leak between tests. */
async function newUser(userId: string, role = 'analyst'): Promise<string> {
  const r = await app.userEvent('UserChanged', { tenantId: 'acme', userId, version: 1, role, status: 'active', authMethod: 'password' });
  expect(r.status).toBe(200);
  return app.login(userId);
}

/** The store actions the request sent, the revocation feed's once-a-second Query left out. */
const actionsDuring = async (act: () => Promise<unknown>) => (await storeCallsDuring(app, 'authorizer', act)).filter((c) => !c.feed).map((c) => c.action);

const isRead = (action: string) => READS.has(action);

describe('authorizer: accepted credentials', () => {
  it('accepts a bearer value and hands the example API the token context', async () => {
    // Prepare
    const jwt = await app.login('bob');
    const { token, value } = await app.createToken(jwt, { permissions: ['events:read'] });
    // Act
    const r = await app.callExample(value);
    // Assess
    expect(r.status).toBe(200);
    expect(r.body.context).toEqual({ tenantId: 'acme', userId: 'bob', tokenId: token.id, permissions: 'events:read' });
  });

  it('accepts the value in X-API-Token', async () => {
    const { token, value } = await app.createToken(await app.login('bob'));
    const r = await app.request('GET', '/example/whoami', { headers: { 'X-API-Token': value } });
    expect(r.status).toBe(200);
    expect(r.body.context.tokenId).toBe(token.id);
  });

  it('lists every permission of the token, space-separated, in the context', async () => {
    const { value } = await app.createToken(await app.login('bob'), { permissions: ['rules:read', 'events:read', 'settings:read'] });
    const r = await app.callExample(value);
    expect(r.body.context.permissions.split(' ').sort()).toEqual(['events:read', 'rules:read', 'settings:read']);
  });

  it('lets a token with events:read through to /example/events', async () => {
    const { value } = await app.createToken(await app.login('carol'), { permissions: ['events:read'] });
    const r = await app.callExample(value, '/example/events');
    expect(r.status).toBe(200);
    expect(r.body.tenantId).toBe('acme');
  });

  it('keeps tenants apart: a globex token carries the globex context', async () => {
    const { value } = await app.createToken(await app.login('gina', 'globex'));
    const r = await app.callExample(value);
    expect(r.body.context).toMatchObject({ tenantId: 'globex', userId: 'gina' });
  });
});

describe('authorizer: narrowed permissions', () => {
  it('shrinks the context as soon as the token loses a permission', async () => {
    // Prepare: never used, so nothing is cached for it.
    const jwt = await newUser('narrow-patch');
    const { token, value } = await app.createToken(jwt, { permissions: ['events:read', 'rules:read'] });
    // Act
    const patch = await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt, body: { permissions: ['rules:read'] } });
    const who = await app.callExample(value);
    const events = await app.callExample(value, '/example/events');
    // Assess
    expect(patch.status).toBe(200);
    expect(who.body.context.permissions).toBe('rules:read');
    expect(events.status).toBe(403);
  });

  it('shrinks the context as soon as the owner loses a permission', async () => {
    const jwt = await newUser('narrow-owner', 'analyst');
    const { value } = await app.createToken(jwt, { permissions: ['events:read', 'events:write'] });
    await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'narrow-owner', version: 2, role: 'read_only', status: 'active', authMethod: 'password' });
    const r = await app.callExample(value);
    expect(r.status).toBe(200);
    expect(r.body.context.permissions).toBe('events:read');
  });

  it('shows the narrower context after a cached acceptance once the acceptance window passes', async () => {
    const jwt = await newUser('narrow-cached');
    const { token, value } = await app.createToken(jwt, { permissions: ['events:read', 'rules:read'] });
    expect((await app.callExample(value)).body.context.permissions).toBe('events:read rules:read');
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt, body: { permissions: ['rules:read'] } });
    await app.advance(11); // TESSERA_AUTH_CACHE_SECONDS defaults to 10
    expect((await app.callExample(value)).body.context.permissions).toBe('rules:read');
  });
});

describe('authorizer: lastUsedAt', () => {
  const lastUsedAt = async (jwt: string, id: string): Promise<string | null> =>
    (await app.request('GET', `/v1/tokens/${id}`, { jwt })).body.lastUsedAt;

  it('records lastUsedAt from the log lines, then at most once a minute', async () => {
    // Prepare
    const jwt = await newUser('last-used');
    const { token, value } = await app.createToken(jwt);
    expect(await lastUsedAt(jwt, token.id)).toBeNull();

    // Act: first use, delivered to the usage function by the log subscription.
    const firstAt = Date.parse((await app.advance(0)).now);
    expect((await app.callExample(value)).status).toBe(200);
    await app.flushLogs();
    const first = (await lastUsedAt(jwt, token.id))!;

    // Act: half a minute later, a use moves nothing; past the minute, it does.
    await app.advance(30);
    expect((await app.callExample(value)).status).toBe(200);
    await app.flushLogs();
    const half = await lastUsedAt(jwt, token.id);
    await app.advance(31);
    expect((await app.callExample(value)).status).toBe(200);
    await app.flushLogs();

    // Assess
    expect(Date.parse(first)).toBeGreaterThanOrEqual(firstAt);
    expect(half).toBe(first);
    expect(Date.parse((await lastUsedAt(jwt, token.id))!) - Date.parse(first)).toBeGreaterThanOrEqual(60_000);
  });

  it('writes nothing to the store while verifying, first use included', async () => {
    // Prepare
    const jwt = await newUser('no-writes');
    const { value } = await app.createToken(jwt);
    clearVerifyCaches();
    await app.flushLogs();

    // Act
    const sent = await actionsDuring(() => app.callExample(value));

    // Assess: a read, no write (the usage function writes later, from the log line).
    expect(sent.filter(isRead).length).toBeGreaterThan(0);
    expect(sent.filter((n) => !isRead(n))).toEqual([]);
  });
});

describe('authorizer: store reads', () => {
  it('verifies an uncached value with one BatchGetItem, and a cached one with no read', async () => {
    // Prepare
    const { value } = await app.createToken(await app.login('bob'));
    // Act
    const uncached = await actionsDuring(() => app.callExample(value));
    const cached = await actionsDuring(() => app.callExample(value));
    // Assess
    expect(uncached.filter(isRead)).toEqual(['BatchGetItem']);
    expect(cached.filter(isRead)).toEqual([]);
  });
});
