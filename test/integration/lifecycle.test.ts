// Lifecycle (rules.md §1.3–§1.5, §1.9–§1.11, §5): TTL and the week-later deletion, user
// cascades through the local bus, ordering, partial failure and redelivery, domain events.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clock } from '../../shared/clock.ts';
import { dynamoError } from '../../local/store-proxy.ts';
import { store } from '../../shared/store/client.ts';
import { tokenKeys } from '../../shared/store/keys.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const DAY = 86_400;
let seq = 0;
/** A fresh user per test, so cascades never touch another test's tokens. */
async function newUser(role = 'analyst', extra: Record<string, unknown> = {}) {
  const userId = `u${++seq}`;
  await app.userEvent('UserChanged', { tenantId: 'acme', userId, version: 1, role, status: 'active', authMethod: 'password', ...extra });
  return { userId, jwt: await app.login(userId) };
}
const changeUser = (userId: string, version: number, fields: Record<string, unknown>) =>
  app.userEvent('UserChanged', { tenantId: 'acme', userId, version, role: 'analyst', status: 'active', authMethod: 'password', ...fields });
const rawItem = async (id: string) => (await store().send(new GetCommand({ TableName: process.env.TESSERA_TABLE, Key: tokenKeys.primary(id) }))).Item;
const nowIso = (plusSeconds = 0) => new Date(clock.now() + plusSeconds * 1000).toISOString();
const adminGet = async (id: string) => app.request('GET', `/v1/tokens/${id}`, { jwt: await app.login('alice') });

describe('TTL and the week-later deletion (§1.5)', () => {
  it('writes the TTL as disabledAt + 7 days, expiresAt + 7 days, or not at all', async () => {
    const { jwt } = await newUser();
    const plain = await app.createToken(jwt);
    expect((await rawItem(plain.token.id))!.ttl).toBeUndefined();
    const expiring = await app.createToken(jwt, { expiresAt: nowIso(3 * DAY) });
    expect((await rawItem(expiring.token.id))!.ttl).toBe(Math.ceil(Date.parse(expiring.token.expiresAt) / 1000) + 7 * DAY);
    const off = await app.request('PATCH', `/v1/tokens/${plain.token.id}`, { jwt, body: { enabled: false } });
    expect((await rawItem(plain.token.id))!.ttl).toBe(Math.ceil(Date.parse(off.body.disabledAt) / 1000) + 7 * DAY);
    expect(off.body.deleteAt).toBe(new Date(Date.parse(off.body.disabledAt) + 7 * DAY * 1000).toISOString());
    await app.request('PATCH', `/v1/tokens/${plain.token.id}`, { jwt, body: { enabled: true } });
    expect((await rawItem(plain.token.id))!.ttl).toBeUndefined();
    await app.request('PATCH', `/v1/tokens/${expiring.token.id}`, { jwt, body: { expiresAt: null } });
    expect((await rawItem(expiring.token.id))!.ttl).toBeUndefined();
  });

  it('keeps a disabled token at 6 days and deletes it at 7 days + 1 minute', async () => {
    const { userId } = await newUser();
    const { token } = await app.createToken(await app.login(userId));
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: await app.login(userId), body: { enabled: false } });
    await app.advance(6 * DAY);
    expect((await adminGet(token.id)).body.status).toBe('disabled');
    await app.advance(DAY + 60);
    expect((await adminGet(token.id)).status).toBe(404);
    expect(await rawItem(token.id)).toBeUndefined(); // the sweeper removed it, as AWS TTL would
  });

  it('keeps an expired token at 6 days after expiry and deletes it at 7 days + 1 minute', async () => {
    const { userId, jwt } = await newUser();
    const { token } = await app.createToken(jwt, { expiresAt: nowIso(60) });
    await app.advance(60 + 6 * DAY);
    const six = await adminGet(token.id);
    expect(six.body).toMatchObject({ status: 'expired', deleteAt: new Date(Date.parse(token.expiresAt) + 7 * DAY * 1000).toISOString() });
    await app.advance(DAY + 60);
    expect((await app.request('GET', `/v1/tokens/${token.id}`, { jwt: await app.login(userId) })).status).toBe(404);
    expect(await rawItem(token.id)).toBeUndefined();
  });

  it('hides an item past its TTL even before the store has deleted it', async () => {
    const { userId, jwt } = await newUser();
    const { token } = await app.createToken(jwt);
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt, body: { enabled: false } });
    clock.advance(7 * DAY + 1); // no sweep: AWS deletes late
    const fresh = await app.login(userId);
    expect(await rawItem(token.id)).toBeDefined();
    expect((await app.request('GET', `/v1/tokens/${token.id}`, { jwt: fresh })).status).toBe(404);
    expect((await app.request('GET', '/v1/tokens', { jwt: fresh })).body.items.map((t: { id: string }) => t.id)).not.toContain(token.id);
    expect((await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: fresh, body: { enabled: true } })).status).toBe(404);
  });
});

describe('user cascades (§1.9, §1.10)', () => {
  it('disables every token, private and shared, when the owner is disabled', async () => {
    const { userId, jwt } = await newUser('admin');
    const a = await app.createToken(jwt);
    const b = await app.createToken(jwt, { visibility: 'shared' });
    await changeUser(userId, 2, { role: 'admin', status: 'disabled' });
    for (const t of [a, b]) {
      expect((await adminGet(t.token.id)).body).toMatchObject({ status: 'disabled', disabledReason: 'owner_disabled' });
      expect((await app.callExample(t.value)).status).toBe(403);
    }
  });

  it('disables tokens with owner_sso when the owner switches to SSO, the legacy token included', async () => {
    const { userId, jwt } = await newUser();
    const t = await app.createToken(jwt);
    const uuid = `5f0c6b1e-0000-4000-8000-${String(seq).padStart(12, '0')}`;
    const imported = await app.request('POST', '/_local/legacy-import', {
      body: { credentials: [{ tenantId: 'acme', userId, uuid, secretSha256: 'a'.repeat(64) }] },
    });
    expect(imported.body.imported).toBe(1);
    await changeUser(userId, 2, { authMethod: 'sso' });
    const list = await app.request('GET', `/v1/tokens?owner=${userId}`, { jwt: await app.login('alice') });
    expect(list.body.items).toHaveLength(2);
    for (const item of list.body.items) expect(item).toMatchObject({ status: 'disabled', disabledReason: 'owner_sso' });
    expect((await app.callExample(t.value)).status).toBe(403);
  });

  it('disables tokens with owner_deleted when the owner is deleted', async () => {
    const { userId, jwt } = await newUser();
    const t = await app.createToken(jwt);
    await app.userEvent('UserDeleted', { tenantId: 'acme', userId, version: 2 });
    expect((await adminGet(t.token.id)).body).toMatchObject({ status: 'disabled', disabledReason: 'owner_deleted' });
  });

  it('trims permissions the owner lost, and disables a token left with none (permissions_revoked)', async () => {
    const { userId, jwt } = await newUser();
    const mixed = await app.createToken(jwt, { permissions: ['events:read', 'events:write'] });
    const writeOnly = await app.createToken(jwt, { permissions: ['events:write'] });
    await changeUser(userId, 2, { role: 'read_only' });
    expect((await adminGet(mixed.token.id)).body).toMatchObject({ status: 'enabled', permissions: ['events:read'] });
    expect((await adminGet(writeOnly.token.id)).body).toMatchObject({ status: 'disabled', disabledReason: 'permissions_revoked', permissions: [] });
  });

  it('re-enables and widens nothing automatically', async () => {
    const { userId, jwt } = await newUser();
    const t = await app.createToken(jwt, { permissions: ['events:read', 'events:write'] });
    await changeUser(userId, 2, { role: 'read_only', status: 'disabled' });
    await changeUser(userId, 3, { role: 'admin', status: 'active' });
    expect((await adminGet(t.token.id)).body).toMatchObject({ status: 'disabled', disabledReason: 'owner_disabled', permissions: ['events:read'] });
  });

  it('ignores a stale version and treats a repeat as harmless (§5)', async () => {
    const { userId, jwt } = await newUser();
    const t = await app.createToken(jwt, { permissions: ['events:read', 'rules:read'] });
    await changeUser(userId, 5, { role: 'analyst' });
    const stale = await changeUser(userId, 4, { status: 'disabled' });
    expect(stale.body.result.projection).toBe('stale');
    expect((await adminGet(t.token.id)).body.status).toBe('enabled');
    const repeat = await changeUser(userId, 5, { role: 'analyst' });
    expect(repeat.body.result).toMatchObject({ projection: 'repeat', changed: 0 });
    expect((await adminGet(t.token.id)).body).toMatchObject({ status: 'enabled', permissions: ['events:read', 'rules:read'] });
  });

  it('sends an invalid event to the dead-letter list and changes nothing', async () => {
    const { userId, jwt } = await newUser();
    const t = await app.createToken(jwt);
    const r = await app.userEvent('UserChanged', { tenantId: 'acme', userId, version: 'two', status: 'disabled' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION');
    const seen = await app.request('GET', '/_local/events');
    expect(seen.body.deadLetters.at(-1).event.detail).toMatchObject({ userId, version: 'two' });
    expect((await adminGet(t.token.id)).body.status).toBe('enabled');
  });

  it('finishes a cascade on redelivery after a store failure halfway', async () => {
    const { userId, jwt } = await newUser();
    const tokens = [];
    for (let i = 0; i < 6; i++) tokens.push(await app.createToken(jwt));
    // The cascade's third token write fails at the store, every attempt of it.
    let updates = 0;
    let failing: string | undefined;
    const remove = app.storeProxy.use(async (call, next) => {
      const update = call.action === 'UpdateItem' && !String(call.body.UpdateExpression).includes('lastUsedAt');
      const key = JSON.stringify(call.body.Key);
      if (update && failing === undefined && ++updates === 3) failing = key;
      if (update && key === failing) return dynamoError(500, 'InternalServerError', 'Internal server error');
      return next();
    });
    try {
      const first = await changeUser(userId, 2, { status: 'disabled' });
      expect(first.status).toBe(503);
    } finally {
      remove();
    }
    const statuses = await Promise.all(tokens.map(async (t) => (await adminGet(t.token.id)).body.status));
    expect(statuses.filter((s) => s === 'disabled').length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 'enabled').length).toBeGreaterThan(0); // half done, nothing half-written
    for (const t of tokens) expect((await app.callExample(t.value)).status).toBe(403); // the owner check holds meanwhile
    const again = await changeUser(userId, 2, { status: 'disabled' });
    expect(again.body.result.projection).toBe('repeat');
    for (const t of tokens) expect((await adminGet(t.token.id)).body).toMatchObject({ status: 'disabled', disabledReason: 'owner_disabled' });
  });
});

describe('domain events (rules.md §5.2)', () => {
  beforeEach(() => app.bus.published.splice(0));

  it('publishes TokenCreated, TokenRenewed, TokenDisabled and TokenDeleted without values', async () => {
    const { jwt } = await newUser();
    const { token, value } = await app.createToken(jwt);
    await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt, body: {} });
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt, body: { enabled: false } });
    await app.request('DELETE', `/v1/tokens/${token.id}`, { jwt });
    const events = (await app.request('GET', '/_local/events')).body.events.filter((e: any) => e.detail.tokenId === token.id);
    expect(events.map((e: any) => e.detailType)).toEqual(['TokenCreated', 'TokenRenewed', 'TokenDisabled', 'TokenDeleted']);
    expect(events[2].detail.reason).toBe('manual');
    expect(events.every((e: any) => e.source === 'tessera.tokens')).toBe(true);
    expect(JSON.stringify(events)).not.toContain(value);
  });

  it('publishes TokenExpiringSoon once, three days before expiry', async () => {
    const { jwt } = await newUser();
    const { token } = await app.createToken(jwt, { expiresAt: nowIso(5 * DAY) });
    const soon = () => app.bus.published.filter((e) => e.detailType === 'TokenExpiringSoon' && e.detail.tokenId === token.id);
    await app.advance(DAY);
    expect(soon()).toHaveLength(0);
    await app.advance(DAY + 3600);
    expect(soon()).toHaveLength(1);
    expect(soon()[0].detail.expiresAt).toBe(token.expiresAt);
    await app.advance(3600);
    expect(soon()).toHaveLength(1);
  });
});
