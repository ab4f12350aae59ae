// Retries are safe (rules.md §1.16, README "Retries are safe"): creates and renews with an Idempotency-Key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { snapshotTable, tokenItems } from '../helpers/faults.ts';

let app: TestApp;
let bob: string;
let alice: string;
beforeAll(async () => {
  app = await startTestApp();
  bob = await app.login('bob');
  alice = await app.login('alice');
});
afterAll(async () => app?.close());

let n = 0;
const newKey = () => `key-${Date.now()}-${++n}`;
const create = (jwt: string, key: string | undefined, body: Record<string, unknown> = { name: 'ci', permissions: ['events:read'] }) =>
  app.request('POST', '/v1/tokens', { jwt, body, headers: key === undefined ? {} : { 'idempotency-key': key } });
const renew = (jwt: string, id: string, key: string | undefined, body: Record<string, unknown> = {}) =>
  app.request('POST', `/v1/tokens/${id}/renew`, { jwt, body, headers: key === undefined ? {} : { 'idempotency-key': key } });

async function tokenCount(): Promise<number> {
  return tokenItems(await snapshotTable()).length;
}

describe('create with an Idempotency-Key', () => {
  it('returns the first answer again, value included, and makes one token', async () => {
    const key = newKey();
    const before = await tokenCount();
    const first = await create(bob, key);
    expect(first.status, first.text).toBe(201);
    const again = await create(bob, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await tokenCount()).toBe(before + 1);
    expect((await app.callExample(again.body.value)).status).toBe(200);
  });

  it('answers 409 CONFLICT for the same key with another body, and creates nothing', async () => {
    const key = newKey();
    expect((await create(bob, key)).status).toBe(201);
    const before = await tokenCount();
    const other = await create(bob, key, { name: 'other', permissions: ['events:read'] });
    expect(other.status, other.text).toBe(409);
    expect(other.body.error.code).toBe('CONFLICT');
    expect(await tokenCount()).toBe(before);
  });

  it('treats the same body in another key order or spelling as the same request', async () => {
    const key = newKey();
    const first = await create(bob, key, { permissions: ['events:read', 'rules:read'], name: 'cafe\u0301' });
    const again = await create(bob, key, { name: 'caf\u00e9', permissions: ['rules:read', 'events:read'] });
    expect(again.status, again.text).toBe(201);
    expect(again.body.token.id).toBe(first.body.token.id);
  });

  it("keeps another caller's key separate", async () => {
    const key = newKey();
    const mine = await create(bob, key);
    const theirs = await create(alice, key);
    expect(theirs.status).toBe(201);
    expect(theirs.body.token.id).not.toBe(mine.body.token.id);
    expect(theirs.body.token.ownerId).toBe('alice');
  });

  it('stores no plain value: the record holds only the sealed copy', async () => {
    const key = newKey();
    const { body } = await create(bob, key);
    const items = [...(await snapshotTable()).values()];
    const record = items.find((i) => i.type === 'idempotency' && i.tokenId === body.token.id)!;
    expect(record).toBeDefined();
    expect(JSON.stringify(items)).not.toContain(body.value);
    expect(record.sealed).toMatch(/^v1\./);
    expect(record.ttl).toBeGreaterThan(Date.now() / 1000 + 23 * 3600);
  });

  it('returns the first answer even after the token changed, and creates anew once 24 h have passed', async () => {
    const key = newKey();
    const first = await create(bob, key);
    await app.request('PATCH', `/v1/tokens/${first.body.token.id}`, { jwt: bob, body: { name: 'renamed' } });
    expect((await create(bob, key)).body).toEqual(first.body);
    await app.advance(24 * 3600 + 1);
    // The record ended through TTL (locally the sweeper stands in for DynamoDB's TTL deletion).
    expect([...(await snapshotTable()).values()].some((i) => i.type === 'idempotency' && i.tokenId === first.body.token.id)).toBe(false);
    const later = await create(await app.login('bob'), key);
    expect(later.status).toBe(201);
    expect(later.body.token.id).not.toBe(first.body.token.id);
  });

  it.each([
    ['empty', ''],
    ['a space', 'a b'],
    ['non-ASCII', 'clé'],
    ['256 characters', 'k'.repeat(256)],
  ])('refuses a key that is %s with 400 VALIDATION naming the header', async (_what, key) => {
    const r = await create(await app.login('bob'), key);
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.fields[0].path).toBe('header.idempotency-key');
  });

  it('accepts a key of 255 visible ASCII characters', async () => {
    expect((await create(await app.login('bob'), '!~'.repeat(127) + 'x')).status).toBe(201);
  });
});

describe('renew with an Idempotency-Key', () => {
  it('returns the first new value again, and the value before it stays replaced', async () => {
    bob = await app.login('bob');
    const { token, value: original } = await app.createToken(bob);
    const key = newKey();
    const first = await renew(bob, token.id, key);
    expect(first.status, first.text).toBe(200);
    const again = await renew(bob, token.id, key);
    expect(again.body).toEqual(first.body);
    expect((await app.callExample(first.body.value)).status).toBe(200);
    expect((await app.callExample(original)).status).toBe(403);
  });

  it('answers 409 for the same key on another token or with another grace period', async () => {
    const a = await app.createToken(bob);
    const b = await app.createToken(bob);
    const key = newKey();
    expect((await renew(bob, a.token.id, key)).status).toBe(200);
    expect((await renew(bob, b.token.id, key)).status).toBe(409);
    expect((await renew(bob, a.token.id, key, { graceSeconds: 60 })).status).toBe(409);
  });
});
