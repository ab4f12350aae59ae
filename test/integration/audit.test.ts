// The activity log over HTTP (docs/rules.md §1.13): who did what to which token, with the
// walls of the token routes, the cascades and jobs as system actors, and the week-later deletion
// recorded from the stream record the TTL sweep emits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clock } from '../../shared/clock.ts';
import { ttlRemovalRecord } from '../../local/streams.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const DAY = 86_400;
let seq = 0;
async function newUser(role = 'analyst', tenantId = 'acme') {
  const userId = `a${++seq}`;
  await app.userEvent('UserChanged', { tenantId, userId, version: 1, role, status: 'active', authMethod: 'password' });
  return { userId, jwt: await app.login(userId, tenantId) };
}
const audit = (jwt: string, query = '') => app.request('GET', `/v1/audit${query}`, { jwt });
const trail = async (jwt: string, tokenId: string) => {
  const r = await audit(jwt, `?tokenId=${tokenId}`);
  expect(r.status).toBe(200);
  return r.body.items as any[];
};

describe('GET /v1/audit: what is recorded', () => {
  it('records every change by its user, newest first, naming changed fields but never values', async () => {
    const { userId, jwt } = await newUser();
    const { token } = await app.createToken(jwt, { name: 'ci', description: 'first words' });
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt, body: { name: 'ci-2', description: 'secret-ish words' } });
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt, body: { enabled: false } });
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt, body: { enabled: true } });
    await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt, body: {} });
    await app.request('DELETE', `/v1/tokens/${token.id}`, { jwt });
    const items = await trail(jwt, token.id);
    expect(items.map((e) => e.action)).toEqual(['deleted', 'renewed', 'enabled', 'disabled', 'updated', 'created']);
    for (const e of items) expect(e.actor).toEqual({ type: 'user', userId });
    expect(items[4]).toMatchObject({ changes: ['name', 'description'], tokenName: 'ci-2' });
    expect(items[3]).toMatchObject({ reason: 'manual' });
    expect(JSON.stringify(items)).not.toMatch(/secret-ish|first words|tsr_/);
    expect(Object.keys(items[5]).sort()).toEqual(['action', 'actor', 'at', 'id', 'tokenId', 'tokenName']);
  });

  it("records an administrator's change to a user's token with the administrator as actor", async () => {
    const { jwt } = await newUser();
    const { token } = await app.createToken(jwt);
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: await app.login('alice'), body: { enabled: false } });
    const [last] = await trail(jwt, token.id);
    expect(last).toMatchObject({ action: 'disabled', actor: { type: 'user', userId: 'alice' } });
  });

  it('records the full life of one token: created, renewed, disabled by its owner\'s cascade, deleted a week later', async () => {
    const { userId, jwt } = await newUser();
    const { token } = await app.createToken(jwt);
    await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt, body: { graceSeconds: 60 } });
    await app.userEvent('UserChanged', { tenantId: 'acme', userId, version: 2, role: 'analyst', status: 'disabled', authMethod: 'password' });
    await app.advance(7 * DAY + 60);
    const alice = await app.login('alice');
    expect((await app.request('GET', `/v1/tokens/${token.id}`, { jwt: alice })).status).toBe(404);
    const items = await trail(alice, token.id);
    expect(items.map((e) => [e.action, e.actor])).toEqual([
      ['deleted', { type: 'system', reason: 'week_later_deletion' }],
      ['disabled', { type: 'system', reason: 'owner_disabled' }],
      ['renewed', { type: 'user', userId }],
      ['created', { type: 'user', userId }],
    ]);
    expect(items[1].reason).toBe('owner_disabled');
    // dated when the sweep (DynamoDB's TTL process) removed the item, after its deleteAt
    expect(Date.parse(items[0].at)).toBeGreaterThanOrEqual(Date.parse(items[1].at) + 7 * DAY * 1000);
  });

  it('records a cascade that trims permissions as a system update, and one that empties them as permissions_revoked', async () => {
    const { userId, jwt } = await newUser();
    const mixed = await app.createToken(jwt, { permissions: ['events:read', 'events:write'] });
    const writeOnly = await app.createToken(jwt, { permissions: ['events:write'] });
    await app.userEvent('UserChanged', { tenantId: 'acme', userId, version: 2, role: 'read_only', status: 'active', authMethod: 'password' });
    expect((await trail(jwt, mixed.token.id))[0]).toMatchObject({ action: 'updated', changes: ['permissions'], actor: { type: 'system', reason: 'owner_permissions_changed' } });
    const [disabled] = (await trail(jwt, writeOnly.token.id)).filter((e) => e.action === 'disabled');
    expect(disabled).toMatchObject({ actor: { type: 'system', reason: 'permissions_revoked' }, reason: 'permissions_revoked' });
  });

  it('records a legacy import as created by the system', async () => {
    const { userId, jwt } = await newUser();
    const uuid = `7f0c6b1e-0000-4000-8000-${String(seq).padStart(12, '0')}`;
    expect((await app.request('POST', '/_local/legacy-import', { body: { credentials: [{ tenantId: 'acme', userId, uuid, secretSha256: 'b'.repeat(64) }] } })).body.imported).toBe(1);
    const [entry] = (await audit(jwt, '?action=created')).body.items;
    expect(entry).toMatchObject({ actor: { type: 'system', reason: 'legacy_import' } });
  });

  it('records an expiry once, dated at the expiry, from the hourly job', async () => {
    const { jwt } = await newUser();
    const { token } = await app.createToken(jwt, { expiresAt: new Date(clock.now() + 120_000).toISOString() });
    await app.advance(3600);
    await app.advance(3600); // a second run records nothing twice
    const expired = (await trail(jwt, token.id)).filter((e) => e.action === 'expired');
    expect(expired).toEqual([expect.objectContaining({ at: token.expiresAt, actor: { type: 'system', reason: 'expiry' } })]);
  });

  it('does not record an expiry for a token disabled before it expired', async () => {
    const { jwt } = await newUser();
    const { token } = await app.createToken(jwt, { expiresAt: new Date(clock.now() + 120_000).toISOString() });
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt, body: { enabled: false } });
    await app.advance(3600);
    expect((await trail(jwt, token.id)).map((e) => e.action)).toEqual(['disabled', 'created']);
  });

  it('records only DynamoDB TTL removals of tokens from the stream, once per token', async () => {
    const { jwt } = await newUser();
    const { token } = await app.createToken(jwt);
    const image = { pk: `TOKEN#${token.id}`, sk: 'TOKEN', type: 'token', ...token, ownerRef: 'x', version: 1 };
    const byService = ttlRemovalRecord(image);
    const byUser = { ...byService, userIdentity: undefined };
    const auditItem = ttlRemovalRecord({ pk: `AUDIT#${token.id}`, sk: 'x', type: 'audit' });
    const { handler: ttlRemovals } = await import('../../functions/ttl-removals.ts');
    expect(await ttlRemovals({ Records: [byUser, auditItem] } as never)).toEqual({ recorded: 0, ignored: 2 });
    expect(await ttlRemovals({ Records: [byService] } as never)).toEqual({ recorded: 1, ignored: 0 });
    expect(await ttlRemovals({ Records: [byService] } as never)).toEqual({ recorded: 0, ignored: 0 }); // redelivery
    expect((await trail(jwt, token.id)).filter((e) => e.action === 'deleted')).toHaveLength(1);
  });
});

describe('GET /v1/audit: walls', () => {
  it('shows a non-administrator the entries of their own tokens only', async () => {
    const me = await newUser();
    const other = await newUser();
    const mine = await app.createToken(me.jwt);
    const theirs = await app.createToken(other.jwt);
    const ids = (await audit(me.jwt)).body.items.map((e: any) => e.tokenId);
    expect(ids).toContain(mine.token.id);
    expect(ids).not.toContain(theirs.token.id);
    expect((await audit(me.jwt, `?tokenId=${theirs.token.id}`)).body).toEqual({ items: [], nextCursor: null });
  });

  it("shows an administrator the tenant's entries, shared and private tokens alike", async () => {
    const user = await newUser();
    const { token } = await app.createToken(user.jwt);
    const ids = (await audit(await app.login('alice'), '?limit=100')).body.items.map((e: any) => e.tokenId);
    expect(ids).toContain(token.id);
  });

  it('lets nothing cross a tenant, even with a token id', async () => {
    const user = await newUser();
    const { token } = await app.createToken(user.jwt);
    const gina = await app.login('gina', 'globex');
    expect((await audit(gina, `?tokenId=${token.id}`)).body.items).toEqual([]);
    const tenantIds = (await audit(gina, '?limit=100')).body.items.map((e: any) => e.tokenId);
    expect(tenantIds).not.toContain(token.id);
  });

  it('answers an SSO user 403 SSO_USER', async () => {
    const r = await audit(await app.login('dave'));
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('SSO_USER');
  });
});

describe('GET /v1/audit: filters and pages', () => {
  it('filters by action and actor, and pages with a cursor bound to the query', async () => {
    const { userId, jwt } = await newUser();
    for (let i = 0; i < 3; i++) await app.createToken(jwt, { name: `t${i}` });
    const { token } = await app.createToken(jwt, { name: 'x' });
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: await app.login('alice'), body: { enabled: false } });
    const created = await audit(jwt, '?action=created');
    expect(created.body.items.map((e: any) => e.tokenName)).toEqual(['x', 't2', 't1', 't0']);
    const byAlice = await audit(jwt, '?actorId=alice');
    expect(byAlice.body.items.map((e: any) => e.action)).toEqual(['disabled']);
    const first = await audit(jwt, `?actorId=${userId}&limit=2`);
    expect(first.body.items).toHaveLength(2);
    const second = await audit(jwt, `?actorId=${userId}&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((e: any) => e.tokenName)).toEqual(['t1', 't0']);
    expect(second.body.nextCursor).toBeNull();
    const reused = await audit(jwt, `?action=created&limit=2&cursor=${first.body.nextCursor}`);
    expect(reused.status).toBe(400);
  });

  it.each([
    ['?limit=0'], ['?limit=101'], ['?action=exploded'], ['?tokenId=tok_nope'], ['?colour=red'], ['?cursor=!!'], ['?actorId='],
  ])('answers %s with 400 VALIDATION', async (query) => {
    const r = await audit(await app.login('alice'), query);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION');
  });

  it('answers 401 without a JWT', async () => {
    expect((await app.request('GET', '/v1/audit')).status).toBe(401);
  });
});
