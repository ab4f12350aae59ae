// The authorization matrix (rules.md §1.1, §1.7, §1.8): every actor × every object × every token route, with the
// expected outcome of each cell written below as a literal, derived from rules.md §1 and §3 (not
// from the code). Each cell runs on a fresh object. An allowed cell must have its effect; a
// refused cell must change nothing and reveal nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyTokenId, sha256Hex } from '../../shared/token-value.ts';
import { startTestApp, type Reply, type TestApp } from '../helpers/app.ts';
import { readTokenItem, snapshotTable } from '../helpers/faults.ts';

type ObjectKind = 'private' | 'shared' | 'legacy';
type ActorKind = 'owner' | 'sameTenantUser' | 'sameTenantAdmin' | 'otherTenantAdmin' | 'ssoUser' | 'disabledUser' | 'anonymous';
type Action = 'get' | 'value' | 'patch' | 'patchPermissions' | 'renew' | 'delete' | 'list' | 'listByOwner';

/**
 * Outcomes: an HTTP status and, for Tessera's errors, the code; for the two list actions,
 * "listed" / "hidden" (200, and the token is or is not among the items) or an error.
 *
 * Reading of rules.md behind the table:
 * - §1.1 the owner does everything to their own token; §1.7 administrators read, change,
 *   enable/disable and delete every token of their tenant; shared tokens are owned by the admin
 *   who created them and every admin of the tenant may also view their value and renew them.
 * - §1.8 nobody but the owner views (403 TOKEN_PRIVATE) or renews a private token, not even an
 *   admin; to a non-admin someone else's token does not exist (404), shared or not.
 * - §1.9 SSO users get 403 SSO_USER on every token route (here an SSO *administrator*, the
 *   strongest case). §1.1 only active users have tokens: a disabled user (here a disabled
 *   *administrator*) gets 403 FORBIDDEN. §1.12 another tenant's admin finds nothing (404).
 * - §1.11 a legacy token is private, shows `permissions: null`, and its permissions cannot be
 *   changed (409 CONFLICT, §3); it has no viewable value (design decision: 409 CONFLICT);
 *   renewing gives a normal value.
 * - §3 a missing JWT is refused by the gateway with 401 before Tessera runs.
 */
const FORBIDDEN_ALL = (code: string): Record<Action, string> => ({
  get: code, value: code, patch: code, patchPermissions: code, renew: code, delete: code, list: code, listByOwner: code,
});
const HIDDEN_ALL: Record<Action, string> = {
  get: '404 NOT_FOUND', value: '404 NOT_FOUND', patch: '404 NOT_FOUND', patchPermissions: '404 NOT_FOUND',
  renew: '404 NOT_FOUND', delete: '404 NOT_FOUND', list: 'hidden', listByOwner: 'hidden',
};
const EVERYONE_ELSE = {
  sameTenantUser: HIDDEN_ALL,
  otherTenantAdmin: HIDDEN_ALL,
  ssoUser: FORBIDDEN_ALL('403 SSO_USER'),
  disabledUser: FORBIDDEN_ALL('403 FORBIDDEN'),
  anonymous: FORBIDDEN_ALL('401'),
};

const EXPECTED: Record<ObjectKind, Record<ActorKind, Record<Action, string>>> = {
  private: {
    owner: { get: '200', value: '200', patch: '200', patchPermissions: '200', renew: '200', delete: '204', list: 'listed', listByOwner: 'listed' },
    sameTenantAdmin: { get: '200', value: '403 TOKEN_PRIVATE', patch: '200', patchPermissions: '200', renew: '403 TOKEN_PRIVATE', delete: '204', list: 'listed', listByOwner: 'listed' },
    ...EVERYONE_ELSE,
  },
  shared: {
    owner: { get: '200', value: '200', patch: '200', patchPermissions: '200', renew: '200', delete: '204', list: 'listed', listByOwner: 'listed' },
    sameTenantAdmin: { get: '200', value: '200', patch: '200', patchPermissions: '200', renew: '200', delete: '204', list: 'listed', listByOwner: 'listed' },
    ...EVERYONE_ELSE,
  },
  legacy: {
    owner: { get: '200', value: '409 CONFLICT', patch: '200', patchPermissions: '409 CONFLICT', renew: '200', delete: '204', list: 'listed', listByOwner: 'listed' },
    sameTenantAdmin: { get: '200', value: '403 TOKEN_PRIVATE', patch: '200', patchPermissions: '409 CONFLICT', renew: '403 TOKEN_PRIVATE', delete: '204', list: 'listed', listByOwner: 'listed' },
    ...EVERYONE_ELSE,
  },
};

/** Creating: anyone active and not SSO creates private tokens; only admins create shared ones. */
const EXPECTED_CREATE: Record<Exclude<ActorKind, 'owner' | 'sameTenantAdmin'> | 'admin' | 'user', Record<'private' | 'shared', string>> = {
  user: { private: '201', shared: '403 FORBIDDEN' },
  admin: { private: '201', shared: '201' },
  sameTenantUser: { private: '201', shared: '403 FORBIDDEN' },
  otherTenantAdmin: { private: '201', shared: '201' },
  ssoUser: { private: '403 SSO_USER', shared: '403 SSO_USER' },
  disabledUser: { private: '403 FORBIDDEN', shared: '403 FORBIDDEN' },
  anonymous: { private: '401', shared: '401' },
};

// Who plays each actor for each object: (tenant, user).
const OWNER: Record<ObjectKind, string> = { private: 'bob', shared: 'alice', legacy: 'bob' };
const ADMIN: Record<ObjectKind, string> = { private: 'alice', shared: 'erin', legacy: 'alice' };
const PLAYERS: Record<Exclude<ActorKind, 'owner' | 'sameTenantAdmin' | 'anonymous'>, [string, string]> = {
  sameTenantUser: ['acme', 'carol'],
  otherTenantAdmin: ['globex', 'gina'],
  ssoUser: ['acme', 'sam'],
  disabledUser: ['acme', 'dora'],
};

let app: TestApp;
const jwts = new Map<string, string>();

beforeAll(async () => {
  // No authorizer cache: a renewed-away value must fail at once for the checks below.
  // Inline: hundreds of requests whose answers come from the domain; the per-invocation cost of
  // execution environments would add to the suite and nothing to what this file checks.
  app = await startTestApp({ environments: 'inline', env: { TESSERA_AUTH_CACHE_SECONDS: '0' } });
  const admin = { tenantId: 'acme', role: 'admin', version: 1 };
  expect((await app.userEvent('UserChanged', { ...admin, userId: 'sam', status: 'active', authMethod: 'sso' })).status).toBe(200);
  expect((await app.userEvent('UserChanged', { ...admin, userId: 'dora', status: 'disabled', authMethod: 'password' })).status).toBe(200);
  for (const [tenant, user] of [['acme', 'bob'], ['acme', 'alice'], ['acme', 'erin'], ...Object.values(PLAYERS)]) {
    jwts.set(`${tenant}/${user}`, await app.login(user, tenant));
  }
});
afterAll(async () => app?.close());

interface Fixture {
  id: string;
  ownerId: string;
  /** The value (normal tokens) or the UUID + secret (legacy). */
  value?: string;
  legacy?: { uuid: string; secret: string };
}

async function makeObject(kind: ObjectKind): Promise<Fixture> {
  const owner = OWNER[kind];
  if (kind === 'legacy') {
    const uuid = randomUUID();
    const secret = `legacy-secret-${randomUUID()}`;
    const r = await app.request('POST', '/_local/legacy-import', {
      body: { credentials: [{ tenantId: 'acme', userId: owner, uuid, secretSha256: sha256Hex(secret) }] },
    });
    expect(r.body.imported, r.text).toBe(1);
    return { id: legacyTokenId(uuid), ownerId: owner, legacy: { uuid, secret } };
  }
  const { token, value } = await app.createToken(jwts.get(`acme/${owner}`)!, { visibility: kind, name: `${kind} of ${owner}` });
  return { id: token.id, ownerId: owner, value };
}

function jwtOf(actor: ActorKind, kind: ObjectKind): string | undefined {
  if (actor === 'anonymous') return undefined;
  if (actor === 'owner') return jwts.get(`acme/${OWNER[kind]}`);
  if (actor === 'sameTenantAdmin') return jwts.get(`acme/${ADMIN[kind]}`);
  const [tenant, user] = PLAYERS[actor];
  return jwts.get(`${tenant}/${user}`);
}

function act(action: Action, fixture: Fixture, jwt: string | undefined): Promise<Reply> {
  const path = `/v1/tokens/${fixture.id}`;
  switch (action) {
    case 'get': return app.request('GET', path, { jwt });
    case 'value': return app.request('GET', `${path}/value`, { jwt });
    case 'patch': return app.request('PATCH', path, { jwt, body: { name: 'renamed in the matrix' } });
    case 'patchPermissions': return app.request('PATCH', path, { jwt, body: { permissions: ['events:read'] } });
    case 'renew': return app.request('POST', `${path}/renew`, { jwt, body: {} });
    case 'delete': return app.request('DELETE', path, { jwt });
    case 'list': return app.request('GET', '/v1/tokens?limit=100', { jwt });
    case 'listByOwner': return app.request('GET', `/v1/tokens?limit=100&owner=${fixture.ownerId}`, { jwt });
  }
}

function outcomeOf(action: Action, r: Reply, fixture: Fixture): string {
  if ((action === 'list' || action === 'listByOwner') && r.status === 200) {
    return r.body.items.some((t: { id: string }) => t.id === fixture.id) ? 'listed' : 'hidden';
  }
  if (r.status === 401) return '401';
  if (r.status >= 400) return `${r.status} ${r.body?.error?.code}`;
  return String(r.status);
}

const storedItem = async (id: string) => {
  const item = await readTokenItem(id);
  if (!item) return undefined;
  delete item.lastUsedAt;
  return JSON.stringify(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)));
};

const verifies = async (f: Fixture, value?: string) => {
  const r = value
    ? await app.callExample(value)
    : await app.request('GET', '/example/whoami', { headers: { 'x-api-uuid': f.legacy!.uuid, 'x-api-secret': f.legacy!.secret } });
  return r.status === 200;
};

describe('authorization matrix (rules.md §1)', () => {
  for (const kind of Object.keys(EXPECTED) as ObjectKind[]) {
    describe(`${kind} token`, () => {
      for (const actor of Object.keys(EXPECTED[kind]) as ActorKind[]) {
        for (const action of Object.keys(EXPECTED[kind][actor]) as Action[]) {
          const expected = EXPECTED[kind][actor][action];
          it(`${actor} ${action}: ${expected}`, async () => {
            // Prepare
            const fixture = await makeObject(kind);
            const before = await storedItem(fixture.id);
            // Act
            const r = await act(action, fixture, jwtOf(actor, kind));
            // Assess: the outcome, then its effect (or the absence of one).
            expect(outcomeOf(action, r, fixture), r.text).toBe(expected);
            const secrets = [fixture.value, fixture.legacy?.secret, fixture.legacy && sha256Hex(fixture.legacy.secret)].filter(Boolean) as string[];
            if (r.status >= 400) {
              expect(await storedItem(fixture.id), 'a refused request changes nothing').toBe(before);
              if (r.status !== 401) expect(r.body.error).toMatchObject({ code: expected.split(' ')[1], requestId: expect.any(String) });
            }
            const revealing = r.status === 200 && (action === 'value' || action === 'renew');
            if (!revealing) for (const s of secrets) expect(r.text).not.toContain(s);
            if (r.status === 200 && action === 'value') expect(r.body.value).toBe(fixture.value);
            if (r.status === 200 && action === 'renew') {
              expect(r.body.token).toMatchObject({ id: fixture.id, legacy: false });
              expect(await verifies(fixture, r.body.value)).toBe(true);
              expect(await verifies(fixture, fixture.value), 'the old value or legacy login stops at once').toBe(false);
            }
            if (r.status === 200 && action === 'get') {
              expect(r.body).toMatchObject({ id: fixture.id, ownerId: fixture.ownerId, legacy: kind === 'legacy' });
              if (kind === 'legacy') expect(r.body.permissions).toBeNull();
            }
            if (r.status === 200 && action === 'patch') expect(r.body.name).toBe('renamed in the matrix');
            if (r.status === 204) {
              expect((await app.request('GET', `/v1/tokens/${fixture.id}`, { jwt: jwtOf('owner', kind) })).status).toBe(404);
              expect(await verifies(fixture, fixture.value)).toBe(false);
            }
            if (r.status >= 400 || action === 'get' || action === 'list' || action === 'listByOwner') {
              expect(await verifies(fixture, fixture.value), 'the token still works').toBe(true);
            }
          });
        }
      }
    });
  }

  describe('creating', () => {
    const CREATORS: Record<keyof typeof EXPECTED_CREATE, string | undefined> = {
      user: 'acme/bob', admin: 'acme/alice', sameTenantUser: 'acme/carol', otherTenantAdmin: 'globex/gina',
      ssoUser: 'acme/sam', disabledUser: 'acme/dora', anonymous: undefined,
    };
    for (const creator of Object.keys(EXPECTED_CREATE) as (keyof typeof EXPECTED_CREATE)[]) {
      for (const visibility of ['private', 'shared'] as const) {
        const expected = EXPECTED_CREATE[creator][visibility];
        it(`${creator} creates a ${visibility} token: ${expected}`, async () => {
          // Prepare
          const key = CREATORS[creator];
          const jwt = key ? jwts.get(key) : undefined;
          const before = await snapshotTable();
          // Act
          const r = await app.request('POST', '/v1/tokens', { jwt, body: { name: 'matrix', permissions: ['events:read'], visibility } });
          // Assess
          const outcome = r.status === 401 ? '401' : r.status >= 400 ? `${r.status} ${r.body?.error?.code}` : String(r.status);
          expect(outcome, r.text).toBe(expected);
          if (r.status !== 201) {
            expect((await snapshotTable()).size).toBe(before.size);
            return;
          }
          const [tenant, user] = key!.split('/');
          expect(r.body.token).toMatchObject({ tenantId: tenant, ownerId: user, visibility });
          // Tenants are walls: the other tenant's administrators do not find it.
          const stranger = tenant === 'acme' ? jwts.get('globex/gina') : jwts.get('acme/alice');
          expect((await app.request('GET', `/v1/tokens/${r.body.token.id}`, { jwt: stranger })).status).toBe(404);
          expect((await app.callExample(r.body.value)).body.context).toMatchObject({ tenantId: tenant, userId: user });
        });
      }
    }
  });
});
