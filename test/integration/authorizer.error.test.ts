// Every way a credential is refused through /example/* (rules.md §1.3–§1.6, §4, §6): 403 when it is
// rejected or lacks the route's permission, as HTTP APIs answer. The example API accepts any
// credential header, so it has no identity source: a request without one reaches the function
// and gets 403, as deployed (401 is API Gateway's answer in the default mode: authorizer.cache-key).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { newId } from '../../shared/ids.ts';
import { mintUntaggedValue } from '../../shared/token-value.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { failStoreCalls } from '../helpers/store-calls.ts';

let app: TestApp;
let bob: string;
beforeAll(async () => {
  app = await startTestApp();
  bob = await app.login('bob');
});
afterAll(async () => app?.close());
afterEach(() => vi.restoreAllMocks());

const serviceNow = async () => Date.parse((await app.advance(0)).now);

describe('authorizer: no credential', () => {
  it.each(['/example/whoami', '/example/events'])('answers 403 on %s when no credential is sent', async (path) => {
    const r = await app.request('GET', path);
    expect(r.status).toBe(403);
  });

  it('answers 403 for a legacy UUID sent without its secret', async () => {
    const r = await app.request('GET', '/example/whoami', { headers: { 'X-API-UUID': '3f2b8c1e-9d4a-4e7b-8c21-5a6f0e9d1b2c' } });
    expect(r.status).toBe(403);
  });
});

describe('authorizer: rejected values', () => {
  it.each([
    ['a value of the wrong length', 'tsr_abc'],
    ['a value without the prefix', 'A'.repeat(91)],
    ['a JWT', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln'],
  ])('answers 403 for %s', async (_label, value) => {
    expect((await app.callExample(value)).status).toBe(403);
  });

  it('answers 403 for a value whose checksum fails', async () => {
    const { value } = await app.createToken(bob);
    const typo = value.slice(0, 40) + (value[40] === 'a' ? 'b' : 'a') + value.slice(41);
    expect((await app.callExample(typo)).status).toBe(403);
  });

  it('answers 403 for a well-formed value of a token that does not exist', async () => {
    const value = mintUntaggedValue(newId('token'), 'acme', 'bob');
    expect((await app.callExample(value)).status).toBe(403);
  });

  it('answers 403 for a disabled token', async () => {
    // Prepare
    const { token, value } = await app.createToken(bob);
    // Act
    const patch = await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { enabled: false } });
    const r = await app.callExample(value);
    // Assess
    expect(patch.body.status).toBe('disabled');
    expect(r.status).toBe(403);
  });

  it('answers 403 for a token once its expiry passes', async () => {
    // Prepare
    const expiresAt = new Date((await serviceNow()) + 3600_000).toISOString();
    const { value } = await app.createToken(bob, { expiresAt });
    expect((await app.callExample(value)).status).toBe(200);
    // Act
    await app.advance(3601);
    const r = await app.callExample(value);
    // Assess
    expect(r.status).toBe(403);
  });

  it('answers 403 from the instant of expiry, even for a value accepted moments before', async () => {
    // Prepare: accepted (and cached) five seconds before it expires.
    const expiresAt = new Date((await serviceNow()) + 5_000).toISOString();
    const { value } = await app.createToken(bob, { expiresAt });
    expect((await app.callExample(value)).status).toBe(200);
    // Act
    await app.advance(6);
    const r = await app.callExample(value);
    // Assess: expiry is known in advance, so no cache outlives it.
    expect(r.status).toBe(403);
  });

  it('answers 403 for a deleted token', async () => {
    const { token, value } = await app.createToken(bob);
    expect((await app.request('DELETE', `/v1/tokens/${token.id}`, { jwt: bob })).status).toBe(204);
    expect((await app.callExample(value)).status).toBe(403);
  });

  it('answers 403 for a value renewed away without a grace period, and 200 for the new one', async () => {
    // Prepare
    const { token, value: old } = await app.createToken(bob);
    // Act
    const renewed = await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: bob, body: {} });
    // Assess
    expect(renewed.status).toBe(200);
    expect((await app.callExample(old)).status).toBe(403);
    expect((await app.callExample(renewed.body.value)).status).toBe(200);
  });

  it('honours the renew grace period for the old value, then rejects it', async () => {
    // Prepare
    const { token, value: old } = await app.createToken(bob);
    const renewed = await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: bob, body: { graceSeconds: 120 } });
    const fresh = renewed.body.value as string;
    // Act + Assess: inside the grace period both values work.
    expect((await app.callExample(old)).status).toBe(200);
    expect((await app.callExample(fresh)).status).toBe(200);
    await app.advance(100);
    expect((await app.callExample(old)).status).toBe(200);
    // Past it, only the new one does.
    await app.advance(21);
    expect((await app.callExample(old)).status).toBe(403);
    expect((await app.callExample(fresh)).status).toBe(200);
  });

  it('rejects the old value from the instant the grace period ends, even if accepted moments before', async () => {
    const { token, value: old } = await app.createToken(bob);
    await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: bob, body: { graceSeconds: 5 } });
    expect((await app.callExample(old)).status).toBe(200);
    await app.advance(6);
    expect((await app.callExample(old)).status).toBe(403);
  });
});

describe('authorizer: route permissions', () => {
  it('answers 403 on /example/events for a token without events:read, and 200 on /example/whoami', async () => {
    const { value } = await app.createToken(bob, { permissions: ['rules:read'] });
    expect((await app.callExample(value, '/example/events')).status).toBe(403);
    expect((await app.callExample(value, '/example/whoami')).status).toBe(200);
  });
});

describe('authorizer: store failures', () => {
  it('does not let a request through when the store read fails', async () => {
    // Prepare
    const { value } = await app.createToken(bob);
    // The token's read: with its owner (BatchGetItem), or alone when the owner is cached (GetItem).
    const restore = failStoreCalls(app, (c) => c.action === 'BatchGetItem' || c.action === 'GetItem');
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true); // the expected error log
    // Act
    const r = await app.callExample(value);
    restore();
    // Assess: the authorizer failed (API Gateway answers 500); the example API never ran.
    expect(r.status).toBe(500);
    expect(r.body.context).toBeUndefined();
    // And nothing was cached: the next request is verified afresh.
    expect((await app.callExample(value)).status).toBe(200);
  });

  it('never denies a request because usage could not be recorded', async () => {
    const { value } = await app.createToken(bob);
    const restore = failStoreCalls(app, (c) => c.action === 'UpdateItem');
    const r = await app.callExample(value);
    await app.flushLogs();
    restore();
    expect(r.status).toBe(200);
  });
});
