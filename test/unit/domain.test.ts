// Domain rules without I/O: catalog, status and deletion dates, access, cascades, config.
import { describe, expect, it } from 'vitest';
import { normalizePermissions, permissionsOf, PERMISSIONS } from '../../shared/catalog.ts';
import { parseConfig } from '../../shared/config.ts';
import { canReveal, canSee } from '../../shared/domain/access.ts';
import type { Actor } from '../../shared/domain/actor.ts';
import { deleteAtOf, statusOf, ttlOf } from '../../shared/lifecycle.ts';
import { cascadeChange } from '../../shared/domain/users.ts';
import { createTableInput, TABLE } from '../../shared/store/table.ts';
import { newToken } from '../../shared/store/token-entity.ts';
import type { TokenRecord } from '../../shared/store/tokens.ts';
import type { UserRecord } from '../../shared/store/users.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const token = (over: Partial<TokenRecord> = {}): TokenRecord => newToken({
  id: 'tok_00000000000000001', tenantId: 'acme', ownerId: 'bob', ownerRef: 'ref', name: 't', visibility: 'private',
  permissions: ['events:read', 'events:write'], createdAt: iso(T0), updatedAt: iso(T0), hint: 'tsr_abcde', hash: 'h', sealed: 's',
  ...over,
});
const user = (over: Partial<UserRecord> = {}): UserRecord => ({
  tenantId: 'acme', userId: 'bob', ownerRef: 'ref', version: 1, role: 'analyst', permissions: null, status: 'active',
  authMethod: 'password', email: null, updatedAt: iso(T0), ...over,
});
const actor = (userId: string, isAdmin: boolean, tenantId = 'acme'): Actor => ({
  user: user({ userId, tenantId }), tenantId, userId, isAdmin, permissions: [...PERMISSIONS],
});

describe('catalog (§2)', () => {
  it('gives a role its set and lets an explicit list replace it', () => {
    expect(permissionsOf('deploy')).toEqual(['nodes:read', 'nodes:write']);
    expect(permissionsOf('admin')).toEqual([...PERMISSIONS]);
    expect(permissionsOf('admin', ['events:read'])).toEqual(['events:read']);
    expect(permissionsOf('no_such_role')).toEqual([]);
    expect(permissionsOf('analyst', ['events:read', 'made:up'])).toEqual(['events:read']);
  });
  it('normalizes to catalog order without duplicates', () => {
    expect(normalizePermissions(['rules:read', 'events:read', 'rules:read'])).toEqual(['events:read', 'rules:read']);
  });
});

describe('status and deletion dates (§1.3–§1.5)', () => {
  it('derives the status from the clock', () => {
    expect(statusOf({ disabledAt: null, expiresAt: null }, T0)).toBe('enabled');
    expect(statusOf({ disabledAt: null, expiresAt: iso(T0 + 1) }, T0)).toBe('enabled');
    expect(statusOf({ disabledAt: null, expiresAt: iso(T0) }, T0)).toBe('expired');
    expect(statusOf({ disabledAt: iso(T0), expiresAt: iso(T0 - DAY) }, T0)).toBe('disabled');
  });
  it('deletes 7 days after disabling or expiry, whichever came first', () => {
    expect(deleteAtOf({ disabledAt: null, expiresAt: null })).toBeNull();
    expect(deleteAtOf({ disabledAt: iso(T0), expiresAt: null })).toBe(iso(T0 + 7 * DAY));
    expect(deleteAtOf({ disabledAt: null, expiresAt: iso(T0) })).toBe(iso(T0 + 7 * DAY));
    expect(deleteAtOf({ disabledAt: iso(T0 + 3 * DAY), expiresAt: iso(T0) })).toBe(iso(T0 + 7 * DAY));
    expect(deleteAtOf({ disabledAt: iso(T0), expiresAt: iso(T0 + 30 * DAY) })).toBe(iso(T0 + 7 * DAY));
    expect(ttlOf({ disabledAt: iso(T0), expiresAt: null })).toBe((T0 + 7 * DAY) / 1000);
  });
});

describe('access (§1.7, §1.8, §1.12)', () => {
  it('lets owners and same-tenant admins see a token, nobody else', () => {
    expect(canSee(actor('bob', false), token())).toBe(true);
    expect(canSee(actor('carol', false), token())).toBe(false);
    expect(canSee(actor('alice', true), token())).toBe(true);
    expect(canSee(actor('gina', true, 'globex'), token())).toBe(false);
  });
  it('reveals a private value to its owner only, a shared one to every admin', () => {
    expect(canReveal(actor('bob', false), token())).toBe(true);
    expect(canReveal(actor('alice', true), token())).toBe(false);
    expect(canReveal(actor('alice', true), token({ visibility: 'shared', ownerId: 'erin' }))).toBe(true);
    expect(canReveal(actor('carol', false), token({ visibility: 'shared', ownerId: 'erin' }))).toBe(false);
    expect(canReveal(actor('gina', true, 'globex'), token({ visibility: 'shared' }))).toBe(false);
  });
});

describe('cascade decisions (§1.10)', () => {
  const at = iso(T0);
  it('disables with the reason that matches the owner', () => {
    expect(cascadeChange(token(), user({ status: 'disabled' }), at)).toMatchObject({ disabledAt: at, disabledReason: 'owner_disabled' });
    expect(cascadeChange(token(), user({ authMethod: 'sso' }), at)).toMatchObject({ disabledReason: 'owner_sso' });
    expect(cascadeChange(token(), user({ status: 'deleted', permissions: [] }), at)).toMatchObject({ disabledReason: 'owner_deleted' });
  });
  it('trims lost permissions and disables a token left with none', () => {
    expect(cascadeChange(token(), user({ role: 'read_only' }), at)).toMatchObject({ permissions: ['events:read'], disabledAt: null });
    expect(cascadeChange(token({ permissions: ['events:write'] }), user({ role: 'read_only' }), at)).toMatchObject({
      permissions: [], disabledReason: 'permissions_revoked',
    });
  });
  it('changes nothing when nothing is owed, and never re-enables', () => {
    expect(cascadeChange(token(), user(), at)).toBeUndefined();
    expect(cascadeChange(token({ disabledAt: at, disabledReason: 'owner_disabled' }), user({ role: 'admin' }), at)).toBeUndefined();
    expect(cascadeChange(token({ disabledAt: at, disabledReason: 'manual' }), user({ status: 'disabled' }), at)).toBeUndefined();
  });
  it("disables a legacy token only when its owner holds nothing (its permissions are the owner's)", () => {
    const legacy = token({ legacy: true, permissions: null });
    expect(cascadeChange(legacy, user({ role: 'read_only' }), at)).toBeUndefined();
    expect(cascadeChange(legacy, user({ permissions: [] }), at)).toMatchObject({ disabledReason: 'permissions_revoked' });
  });
});

describe('configuration', () => {
  const env = { TESSERA_TABLE: 'tbl', TESSERA_JWT_ISSUER: 'https://issuer/', TESSERA_JWT_AUDIENCE: 'aud', TESSERA_KEY_SOURCE: 'kms:arn:aws:kms:x', TESSERA_MAC_KEYS: 'kms:arn:aws:kms:mac' };
  it('fails at once, naming every bad value', () => {
    expect(() => parseConfig({})).toThrow(/TESSERA_TABLE.*TESSERA_JWT_ISSUER/s);
    expect(() => parseConfig({ ...env, TESSERA_KEY_SOURCE: 'plain' })).toThrow(/TESSERA_KEY_SOURCE/);
    expect(() => parseConfig({ ...env, TESSERA_ROUTE_PERMISSIONS: '{bad' })).toThrow(/TESSERA_ROUTE_PERMISSIONS/);
    // MAC keys: from the local ring by default, required with KMS, a list of KMS keys for rotation.
    expect(() => parseConfig({ ...env, TESSERA_MAC_KEYS: undefined })).toThrow(/TESSERA_MAC_KEYS/);
    expect(() => parseConfig({ ...env, TESSERA_MAC_KEYS: 'kms:a,,b' })).toThrow(/TESSERA_MAC_KEYS/);
    expect(parseConfig({ ...env, TESSERA_MAC_KEYS: 'kms:new, old' }).macKeys).toEqual({ kind: 'kms', refs: ['new', 'old'] });
    expect(parseConfig({ ...env, TESSERA_KEY_SOURCE: 'file:/r.json', TESSERA_MAC_KEYS: undefined }).macKeys).toEqual({ kind: 'file', refs: ['/r.json'] });
  });
  it('never caches denials longer than acceptances, and bounds the SDK', () => {
    const c = parseConfig({ ...env, TESSERA_AUTH_CACHE_SECONDS: '3', TESSERA_AUTH_DENY_CACHE_SECONDS: '9' });
    expect(c.authorizer).toMatchObject({ cacheSeconds: 3, denyCacheSeconds: 3 });
    expect(c.sdk).toEqual({ connectTimeoutMs: 1000, requestTimeoutMs: 3000, maxAttempts: 3 });
    expect(c.keySource).toEqual({ kind: 'kms', ref: 'arn:aws:kms:x' });
  });
});

describe('table definition', () => {
  it('creates every index the definition names, all keys strings', () => {
    const input = createTableInput('t');
    expect(input.GlobalSecondaryIndexes.map((i) => i.IndexName)).toEqual(TABLE.indexes.map((i) => i.name));
    expect(input.AttributeDefinitions.every((a) => a.AttributeType === 'S')).toBe(true);
  });
});
