// Property-based fuzzing of every management route (rules.md §3): arbitrary JSON and non-JSON
// bodies, query strings, path ids, headers and JWTs. Properties, for every request:
// - never a 5xx;
// - every 4xx is Tessera's envelope {error: {code, message, requestId}} with the status of its
//   code, or API Gateway's own body where the gateway answers (rules.md §3): 401 for a bad JWT,
//   404 for no route; a valid JWT on a matched route always reaches Tessera;
// - a refused request changes nothing in the store (a Scan before and after);
// - no answer carries a value, secret, hash or sealed value, except the value a create, renew or
//   value answer gives to whom may see it.
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAdminRole } from '../../shared/catalog.ts';
import { ROUTE_LIST, type RouteDef } from '../../shared/routes.ts';
import { legacyTokenId, parseValue, sha256Hex } from '../../shared/token-value.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { diffSnapshots, snapshotTable } from '../helpers/faults.ts';
import { closeRawAgent, envelopeOf, foreignJwt, leaksIn, rawRequest, secretsOf, tamperedJwt, unsignedJwt } from './support.ts';

// Sized for npm test; FUZZ_RUNS and FUZZ_SEED explore further (FUZZ_SEED=random for a new one).
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() : Number(process.env.FUZZ_SEED ?? 8008);
const statuses = new Map<string, number>();

let app: TestApp;
/** user -> JWT, for the users the issuer really signed for. */
const valid = new Map<string, string>();
const ROLES: Record<string, { tenant: string; role: string; sso?: boolean; disabled?: boolean }> = {
  bob: { tenant: 'acme', role: 'analyst' },
  alice: { tenant: 'acme', role: 'admin' },
  carol: { tenant: 'acme', role: 'read_only' },
  dave: { tenant: 'acme', role: 'analyst', sso: true },
  dora: { tenant: 'acme', role: 'admin', disabled: true },
  gina: { tenant: 'globex', role: 'admin' },
  nobody: { tenant: 'acme', role: 'none' },
};
const invalidJwts: string[] = [];
/** Every value and legacy secret ever handed out, and which token and owner it belongs to. */
const values = new Map<string, { tokenId: string }>();
const legacySecrets: string[] = [];
const tokenIds: string[] = [];
const owners = new Map<string, { ownerId: string; tenantId: string; visibility: string }>();

beforeAll(async () => {
  // Inline: thousands of requests whose answers come from the domain; the per-invocation cost of
  // execution environments would add minutes to the suite and nothing to what this file checks.
  app = await startTestApp({ environments: 'inline' });
  await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'dora', version: 1, role: 'admin', status: 'disabled', authMethod: 'password' });
  for (const [user, { tenant }] of Object.entries(ROLES)) valid.set(user, await app.login(user, tenant));
  const claims = { sub: 'alice', tenant_id: 'acme', iss: 'https://tessera.local/', aud: 'tessera-local', exp: Math.floor(Date.now() / 1000) + 3600 };
  invalidJwts.push(
    unsignedJwt(claims),
    unsignedJwt(claims, { alg: 'ES256', typ: 'JWT' }),
    await foreignJwt(claims),
    tamperedJwt(valid.get('bob')!),
    valid.get('bob')!.slice(0, -4),
    'not.a.jwt',
  );
  // Fixtures: private, shared and legacy tokens in two tenants.
  for (const [user, body] of [['bob', {}], ['alice', { visibility: 'shared' }], ['alice', {}], ['gina', { visibility: 'shared' }]] as const) {
    const { token, value } = await app.createToken(valid.get(user)!, body);
    values.set(value, { tokenId: token.id });
    tokenIds.push(token.id);
    owners.set(token.id, { ownerId: token.ownerId, tenantId: token.tenantId, visibility: token.visibility });
  }
  const uuid = randomUUID();
  const secret = `fuzz-legacy-${uuid}`;
  legacySecrets.push(secret);
  await app.request('POST', '/_local/legacy-import', { body: { credentials: [{ tenantId: 'acme', userId: 'bob', uuid, secretSha256: sha256Hex(secret) }] } });
  tokenIds.push(legacyTokenId(uuid));
  owners.set(legacyTokenId(uuid), { ownerId: 'bob', tenantId: 'acme', visibility: 'private' });
});
afterAll(async () => {
  if (process.env.FUZZ_STATS) console.log([...statuses].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
  closeRawAgent();
  await app?.close();
});

// ---- arbitraries ---------------------------------------------------------------------------

type Auth = { kind: 'valid'; user: string } | { kind: 'invalid'; header?: string };

const authArb: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...Object.keys(ROLES)).map((user) => ({ kind: 'valid' as const, user })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalid' as const }) },
  { weight: 2, arbitrary: fc.nat(5).map((i) => ({ kind: 'invalid' as const, header: `Bearer ${invalidJwts[i]}` })) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`),
      fc.constantFrom('Bearer', 'Basic YWxpY2U6cGFzcw==', 'bearer  ', 'Bearer a b', 'Bearer tsr_x'),
      fc.tuple(fc.json(), fc.json()).map(([h, p]) => `Bearer ${Buffer.from(h).toString('base64url')}.${Buffer.from(p).toString('base64url')}.sig`),
    ).map((header) => ({ kind: 'invalid' as const, header })),
  },
);

const idArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 3, 4).map((i) => ({ id: () => tokenIds[i], raw: false })) },
  { weight: 2, arbitrary: fc.stringMatching(/^tok_[0-9A-Za-z]{17}$/).map((s) => ({ id: () => s, raw: false })) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map((s) => ({ id: () => s, raw: false })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((s) => ({ id: () => s, raw: false })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('..', '.', '%', '%zz', '%2F', '%00', 'tok_%2e%2e', '..%2F..%2Fetc%2Fpasswd', 'a'.repeat(3000), '%C0%AF', '*', "tok_'OR'1'='1")
      .map((s) => ({ id: () => s, raw: true })),
  },
);

const queryArb = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom('owner', 'status', 'limit', 'cursor'), fc.string({ maxLength: 8 })),
        fc.oneof(
          fc.constantFrom('bob', 'alice', 'gina', 'enabled', 'disabled', 'expired', '0', '1', '100', '101', '-1', '1e2', 'NaN', ''),
          fc.string({ maxLength: 30 }),
          fc.base64String({ maxLength: 60 }),
        ),
      ),
      { maxLength: 5 },
    )
    .map((pairs) => `?${new URLSearchParams(pairs).toString()}`),
  fc.constantFrom('?', '?&&', '?limit', '?=x', '?limit=5&limit=6', '?cursor=eyJ2IjoxfQ', '?%zz=1'),
);

const permissionArb = fc.oneof(
  fc.constantFrom('events:read', 'events:write', 'rules:read', 'users:write', 'settings:write', 'nodes:write'),
  fc.string({ maxLength: 12 }),
);
const dateArb = fc.oneof(
  fc.date({ noInvalidDate: true, min: new Date('1970-01-01'), max: new Date('2200-01-01') }).map((d) => d.toISOString()),
  fc.constantFrom('2999-01-01T00:00:00Z', '2000-01-01T00:00:00Z', 'tomorrow', '2030-02-30T00:00:00Z', ''),
  fc.constant(null),
);
const nearValidBody = fc.record(
  {
    name: fc.oneof(fc.string({ maxLength: 120 }), fc.constantFrom('ci', '  ', ''), fc.integer()),
    permissions: fc.oneof(fc.array(permissionArb, { maxLength: 4 }), fc.constant('events:read'), fc.constant(null)),
    expiresAt: dateArb,
    visibility: fc.oneof(fc.constantFrom('private', 'shared', 'public'), fc.string({ maxLength: 5 })),
    description: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(null), fc.constant('x'.repeat(600))),
    enabled: fc.oneof(fc.boolean(), fc.constantFrom('true', 0, null)),
    graceSeconds: fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.double(), fc.constant('60')),
    __proto__: fc.constant({ admin: true }),
  },
  { requiredKeys: [] },
);

/** The fields each body schema accepts; the first is kept whatever is dropped. */
const VALID_KEYS = {
  create: ['name', 'permissions', 'expiresAt', 'visibility', 'description'],
  createMinimal: ['permissions', 'name'],
  patch: ['enabled', 'name', 'description', 'permissions', 'expiresAt'],
  renew: ['graceSeconds'],
};

/** Bodies every field of which is valid, so the fuzz also reaches the successful paths. */
const validBody = fc.record(
  {
    name: fc.stringMatching(/^[A-Za-z0-9 ._-]{1,30}$/).filter((n) => n.trim().length > 0),
    permissions: fc.subarray(['events:read', 'rules:read', 'nodes:read', 'settings:read'], { minLength: 1 }),
    expiresAt: fc.integer({ min: 1, max: 400 }).map((d) => new Date(Date.now() + d * 86400_000).toISOString()),
    visibility: fc.constantFrom('private', 'shared'),
    description: fc.string({ maxLength: 40 }),
    enabled: fc.boolean(),
    graceSeconds: fc.integer({ min: 0, max: 86_400 }),
  },
  { requiredKeys: ['name', 'permissions'] },
);

type Body = { text?: string | Buffer; contentType?: string };
const validBodyFor = (route: RouteDef & { id: string }): fc.Arbitrary<Body> => {
  const keys = route.id === 'patchToken' ? VALID_KEYS.patch : route.id === 'renewToken' ? VALID_KEYS.renew : VALID_KEYS.create;
  const required = route.id === 'createToken' ? VALID_KEYS.createMinimal : keys.slice(0, 1);
  return fc.tuple(validBody, fc.subarray(keys)).map(([b, extra]) => ({
    text: JSON.stringify(Object.fromEntries(Object.entries(b).filter(([k]) => required.includes(k) || extra.includes(k)))),
    contentType: 'application/json',
  }));
};
const bodyArbFor = (validBodyArb: fc.Arbitrary<Body>): fc.Arbitrary<Body> => fc.oneof(
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 4, arbitrary: nearValidBody.map((b) => ({ text: JSON.stringify(b), contentType: 'application/json' })) },
  { weight: 6, arbitrary: validBodyArb },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((j) => ({ text: JSON.stringify(j), contentType: 'application/json' })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 80 }), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'))
      .map(([text, contentType]) => ({ text, contentType })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => ({ text: Buffer.from(a), contentType: 'application/octet-stream' })) },
  { weight: 1, arbitrary: fc.constantFrom(70_000, 66_000).map((n) => ({ text: JSON.stringify({ name: 'x'.repeat(n), permissions: ['events:read'] }), contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.constantFrom('{"name":', '{"__proto__":{"isAdmin":true},"name":"p","permissions":["users:write"]}', 'null', '[]', '"x"', '1e309', '\uFEFF{}').map((text) => ({ text, contentType: 'application/json' })) },
);

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((n) => !['content-length', 'host', 'transfer-encoding', 'authorization', 'connection', 'expect', 'upgrade', 'te', 'trailer'].includes(n));
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const headersArb = fc.oneof(
  fc.constant({} as Record<string, string>),
  fc.dictionary(fc.oneof(headerName, fc.constantFrom('x-api-token', 'x-api-uuid', 'x-api-secret', 'x-forwarded-for', 'cookie', 'content-encoding')), headerValue, { maxKeys: 4 }),
);

// ---- the property ----------------------------------------------------------------------------

const MANAGEMENT = ROUTE_LIST.filter((r) => r.api === 'management');

function pathFor(route: RouteDef, id: { id: () => string; raw: boolean }): string {
  if (!route.path.includes('{id}')) return route.path;
  const raw = id.id();
  return route.path.replace('{id}', id.raw ? raw : encodeURIComponent(raw));
}

/** Whether the gateway routes this path to the route: after dot-segment normalisation, with a decodable id. */
function routeMatches(route: RouteDef, path: string): boolean {
  const pathname = new URL(path, 'http://127.0.0.1').pathname;
  const pattern = new RegExp(`^${route.path.replace(/\{\w+\}/g, '([^/]+)')}$`);
  const m = pathname.match(pattern);
  if (!m) return false;
  try {
    m.slice(1).forEach((segment) => decodeURIComponent(segment));
    return true;
  } catch {
    return false;
  }
}

/** May this user see the value of this token (rules.md §1.7, §1.8)? */
function mayReveal(user: string, tokenId: string): boolean {
  const o = owners.get(tokenId);
  const u = ROLES[user];
  if (!o || !u || u.tenant !== o.tenantId || u.sso || u.disabled) return false;
  return o.ownerId === user || (o.visibility === 'shared' && isAdminRole(u.role));
}

describe('fuzzing the management API', () => {
  it('covers every management route of the route table', () => {
    expect(MANAGEMENT.map((r) => r.id).sort()).toEqual(['createToken', 'deleteToken', 'getToken', 'health', 'me', 'openapi', 'listTokens', 'patchToken', 'renewToken', 'tokenValue', 'listAudit', 'reportLeaks', 'tokenUsage'].sort());
  });

  for (const route of MANAGEMENT) {
    it(`${route.method} ${route.path}: never 5xx, always an envelope, a refusal changes nothing, nothing leaks`, async () => {
      await fc.assert(
        fc.asyncProperty(authArb, idArb, queryArb, bodyArbFor(validBodyFor(route)), headersArb, async (auth, id, query, body, extra) => {
          // Prepare
          const path = pathFor(route, id);
          const headers: Record<string, string> = { ...extra };
          if (auth.kind === 'valid') headers.authorization = `Bearer ${valid.get(auth.user)}`;
          else if (auth.header) headers.authorization = auth.header;
          if (body.contentType) headers['content-type'] = body.contentType;
          const before = await snapshotTable({ ignore: ['lastUsedAt'] });
          // Act
          const r = await rawRequest(app.url, route.method, path + query, headers, body.text);
          statuses.set(`${route.id} ${r.status}`, (statuses.get(`${route.id} ${r.status}`) ?? 0) + 1);
          // Assess
          const where = `${route.method} ${path.slice(0, 80)}${query.slice(0, 80)} as ${JSON.stringify(auth).slice(0, 80)}, body ${String(body.text).slice(0, 80)} -> ${r.status} ${r.text.slice(0, 300)}`;
          expect(r.status, where).toBeLessThan(500);
          const matched = routeMatches(route, path.split('?')[0]);
          if (r.status >= 400) {
            const kind = envelopeOf(r.status, r.body);
            expect(['tessera', 'gateway'], where).toContain(kind);
            if (kind === 'gateway') {
              // Only the gateway's own refusals: a bad JWT, or a path that names no route.
              const badJwt = route.auth === 'jwt' && auth.kind === 'invalid' && r.status === 401;
              expect(badJwt || !matched || r.status === 413, where).toBe(true);
            }
            expect(diffSnapshots(before, await snapshotTable({ ignore: ['lastUsedAt'] })), where).toEqual([]);
          }
          if (route.auth === 'jwt' && auth.kind === 'invalid' && matched) expect(r.status, where).toBe(401);
          if (route.auth === 'jwt' && auth.kind === 'valid') expect(r.status, where).not.toBe(401);
          // Values: only where the contract hands one out, and only to whom may see it.
          let rest = r.text;
          if (r.status < 300 && r.body && typeof r.body === 'object' && typeof r.body.value === 'string') {
            expect(['createToken', 'renewToken', 'tokenValue'], where).toContain(route.id);
            const user = (auth as { user: string }).user;
            const parsed = parseValue(r.body.value);
            expect(parsed, where).toBeDefined();
            if (route.id === 'createToken') {
              expect(parsed!.tokenId).toBe(r.body.token.id);
              owners.set(r.body.token.id, { ownerId: user, tenantId: ROLES[user].tenant, visibility: r.body.token.visibility });
            } else {
              const tokenId = decodeURIComponent(path.split('/')[3]);
              expect(parsed!.tokenId).toBe(tokenId);
              expect(mayReveal(user, tokenId), where).toBe(true);
            }
            values.set(r.body.value, { tokenId: parsed!.tokenId });
            rest = JSON.stringify({ ...r.body, value: undefined });
          }
          const secrets = secretsOf(r.status < 300 ? await snapshotTable() : before, [...values.keys(), ...legacySecrets]);
          expect(leaksIn(rest, secrets), where).toEqual([]);
        }),
        { numRuns: RUNS_PER_ROUTE, seed: SEED + route.id.length, endOnFailure: true },
      );
    });
  }
});
