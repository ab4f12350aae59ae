// Store faults on every route (README, "Failures"): with a throttle, a timeout, a refused
// connection or a 500 injected at each store call a route makes, the route answers 503
// UNAVAILABLE with Retry-After or succeeds; a 503 leaves the store exactly as it was; the same
// request retried afterwards succeeds. The cascade survives a crash at every step.
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROUTE_LIST } from '../../shared/routes.ts';
import { sha256Hex } from '../../shared/token-value.ts';
import { startTestApp, type Reply, type TestApp } from '../helpers/app.ts';
import { diffSnapshots, FAULT_KINDS, installFaults, snapshotTable, type FaultInjector, type FaultKind } from '../helpers/faults.ts';

// The authorizer logs every injected failure at ERROR; the assertions say what matters.
vi.hoisted(() => {
  process.env.TESSERA_LOG_LEVEL = 'SILENT';
});

let app: TestApp;
let faults: FaultInjector;
// A secret-scanning key of our own, so leak reports can be signed (POST /v1/leaks).
const leakKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const leakKeyFile = join(mkdtempSync(join(tmpdir(), 'tessera-faults-')), 'keys.json');
writeFileSync(leakKeyFile, JSON.stringify({ public_keys: [{ key_identifier: 'k', key: leakKey.publicKey.export({ type: 'spki', format: 'pem' }), is_current: true }] }));
let bob: string;
let alice: string;

beforeAll(async () => {
  // In execution environments (the default): frozen between invocations, no function's
  // background work (the authorizer's revocation feed) makes store calls that the n-th-call
  // faults below would hit instead of the request's own.
  app = await startTestApp({
    env: {
      // One attempt per call, so the n-th call is the n-th request to the store.
      TESSERA_SDK_MAX_ATTEMPTS: '1',
      TESSERA_SDK_REQUEST_TIMEOUT_MS: '1000',
      TESSERA_SDK_CONNECT_TIMEOUT_MS: '1000',
      // Every verification reads the store.
      TESSERA_AUTH_CACHE_SECONDS: '0',
      TESSERA_LEAK_KEYS: leakKeyFile,
    },
  });
  faults = await installFaults();
  bob = await app.login('bob');
  alice = await app.login('alice');
});
afterAll(async () => {
  await faults?.close();
  await app?.close();
});

interface Call {
  method: string;
  path: string;
  jwt?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

interface RouteCase {
  /** The route id in shared/routes.ts, or a local-only route. */
  route: string;
  /** Builds a fresh request; runs before the snapshot, without faults. */
  prepare: () => Promise<Call>;
  success: number;
  /** What must hold after a successful answer (the first or the retry). */
  check?: (r: Reply, call: Call) => Promise<void>;
}

const fresh = async (jwt = bob, body: Record<string, unknown> = {}) => (await app.createToken(jwt, body)).token.id as string;

const CASES: RouteCase[] = [
  { route: 'health', prepare: async () => ({ method: 'GET', path: '/v1/health' }), success: 200 },
  { route: 'openapi', prepare: async () => ({ method: 'GET', path: '/v1/openapi.json' }), success: 200 },
  { route: 'me', prepare: async () => ({ method: 'GET', path: '/v1/me', jwt: bob }), success: 200 },
  {
    route: 'createToken',
    prepare: async () => ({ method: 'POST', path: '/v1/tokens', jwt: bob, body: { name: `c-${Math.random()}`, permissions: ['events:read'] } }),
    success: 201,
    check: async (r) => {
      expect((await app.callExample(r.body.value)).status).toBe(200);
    },
  },
  { route: 'listTokens', prepare: async () => ({ method: 'GET', path: '/v1/tokens?limit=5', jwt: alice }), success: 200 },
  { route: 'getToken', prepare: async () => ({ method: 'GET', path: `/v1/tokens/${await fresh()}`, jwt: alice }), success: 200 },
  { route: 'tokenValue', prepare: async () => ({ method: 'GET', path: `/v1/tokens/${await fresh()}/value`, jwt: bob }), success: 200 },
  { route: 'tokenUsage', prepare: async () => ({ method: 'GET', path: `/v1/tokens/${await fresh()}/usage?days=7`, jwt: bob }), success: 200 },
  {
    route: 'patchToken',
    prepare: async () => ({ method: 'PATCH', path: `/v1/tokens/${await fresh()}`, jwt: bob, body: { name: 'patched', permissions: ['events:read', 'rules:read'], enabled: false } }),
    success: 200,
    check: async (r) => expect(r.body).toMatchObject({ name: 'patched', status: 'disabled' }),
  },
  {
    route: 'patchToken (enable)',
    prepare: async () => {
      const id = await fresh();
      await app.request('PATCH', `/v1/tokens/${id}`, { jwt: bob, body: { enabled: false } });
      return { method: 'PATCH', path: `/v1/tokens/${id}`, jwt: bob, body: { enabled: true } };
    },
    success: 200,
    check: async (r) => expect(r.body.status).toBe('enabled'),
  },
  {
    route: 'renewToken',
    prepare: async () => ({ method: 'POST', path: `/v1/tokens/${await fresh()}/renew`, jwt: bob, body: { graceSeconds: 60 } }),
    success: 200,
    check: async (r) => {
      expect((await app.callExample(r.body.value)).status).toBe(200);
    },
  },
  {
    route: 'deleteToken',
    prepare: async () => ({ method: 'DELETE', path: `/v1/tokens/${await fresh()}`, jwt: bob }),
    success: 204,
    check: async (_r, call) => expect((await app.request('GET', call.path, { jwt: bob })).status).toBe(404),
  },
  { route: 'listAudit', prepare: async () => ({ method: 'GET', path: `/v1/audit?tokenId=${await fresh()}`, jwt: bob }), success: 200 },
  { route: 'listAudit (tenant)', prepare: async () => ({ method: 'GET', path: '/v1/audit?limit=5', jwt: alice }), success: 200 },
  {
    route: 'reportLeaks',
    prepare: async () => {
      const { value } = await app.createToken(bob);
      const body = JSON.stringify([{ token: value, type: 'tessera', url: 'https://github.com/o/r/blob/x/f', source: 'content' }]);
      const signature = sign('sha256', Buffer.from(body), leakKey.privateKey).toString('base64');
      return { method: 'POST', path: '/v1/leaks', body: JSON.parse(body), headers: { 'github-public-key-identifier': 'k', 'github-public-key-signature': signature } };
    },
    success: 200,
    check: async (r) => expect(r.body[0].label).toBe('true_positive'),
  },
  {
    route: 'legacy-import (local)',
    prepare: async () => {
      const uuid = crypto.randomUUID();
      return { method: 'POST', path: '/_local/legacy-import', body: { credentials: [{ tenantId: 'acme', userId: 'bob', uuid, secretSha256: sha256Hex(`s-${uuid}`) }] } };
    },
    success: 200,
    check: async (r, call) => {
      const { uuid } = (call.body as { credentials: { uuid: string }[] }).credentials[0];
      expect(r.body.imported + r.body.skipped.filter((s: { reason: string }) => s.reason === 'already_imported').length).toBe(1);
      const who = await app.request('GET', '/example/whoami', { headers: { 'x-api-uuid': uuid, 'x-api-secret': `s-${uuid}` } });
      expect(who.status).toBe(200);
    },
  },
];

const send = (c: Call) => app.request(c.method, c.path, { jwt: c.jwt, body: c.body, headers: c.headers });

/** Dry run: how many store calls the route makes when nothing fails. */
async function callsOf(c: RouteCase): Promise<number> {
  const call = await c.prepare();
  faults.reset();
  const r = await send(call);
  const n = faults.calls;
  expect(r.status, `${c.route} dry run: ${r.text}`).toBe(c.success);
  return n;
}

describe('store faults on every route', () => {
  it('covers every management route of the route table', () => {
    const covered = new Set(CASES.map((c) => c.route.split(' ')[0]));
    const missing = ROUTE_LIST.filter((r) => r.api === 'management' && !covered.has(r.id)).map((r) => r.id);
    expect(missing).toEqual([]);
  });

  for (const [index, c] of CASES.entries()) {
    it(`${c.route}: answers 503 with Retry-After or succeeds at a fault on any store call, never half-writes, and a retry succeeds`, async () => {
      const k = await callsOf(c);
      // Every call position gets a fault; the last (the write, where there is one) gets every kind.
      const plan: [number, FaultKind][] = [];
      for (let n = 1; n <= k; n++) plan.push([n, FAULT_KINDS[(n + index) % FAULT_KINDS.length]]);
      for (const kind of FAULT_KINDS) if (k > 0 && kind !== plan[k - 1][1] && kind !== 'timeout') plan.push([k, kind]);
      plan.push([k + 1, 'throughput']); // past the last call: nothing to fault
      for (const [n, kind] of plan) {
        // Prepare
        const call = await c.prepare();
        const before = await snapshotTable({ ignore: ['lastUsedAt'] });
        faults.reset();
        faults.failCall(n, kind);
        // Act
        const r = await send(call);
        const injected = faults.injected;
        faults.reset();
        // Assess
        const where = `${c.route}, ${kind} at call ${n}/${k}: ${r.status} ${r.text}`;
        if (injected === 0) {
          expect(r.status, where).toBe(c.success);
          continue;
        }
        if (r.status === c.success) {
          // A fault off the answer's path (lastUsedAt, event publishing) does not fail it.
          await c.check?.(r, call);
          continue;
        }
        expect(r.status, where).toBe(503);
        expect(r.body?.error?.code, where).toBe('UNAVAILABLE');
        expect(typeof r.body.error.requestId, where).toBe('string');
        expect(Number(r.headers.get('retry-after')), where).toBeGreaterThan(0);
        expect(diffSnapshots(before, await snapshotTable({ ignore: ['lastUsedAt'] })), where).toEqual([]);
        const retry = await send(call);
        expect(retry.status, `${where}; retry: ${retry.status} ${retry.text}`).toBe(c.success);
        await c.check?.(retry, call);
      }
    });
  }

  it('example API: a store fault in the authorizer fails closed with the gateway 500, caches nothing, and a retry is allowed', async () => {
    const { value } = await app.createToken(bob);
    expect((await app.callExample(value)).status).toBe(200);
    for (const kind of FAULT_KINDS) {
      // Prepare
      const before = await snapshotTable({ ignore: ['lastUsedAt'] });
      faults.reset();
      faults.failCall(1, kind);
      // Act
      const r = await app.callExample(value);
      faults.reset();
      // Assess: API Gateway answers 500 itself when a Lambda authorizer fails; never an allow.
      expect(r.status, `${kind}: ${r.text}`).toBe(500);
      expect(r.body).toEqual({ message: 'Internal Server Error' });
      expect(diffSnapshots(before, await snapshotTable({ ignore: ['lastUsedAt'] }))).toEqual([]);
      expect((await app.callExample(value)).status).toBe(200);
    }
  });
});

describe('the owner cascade under faults', () => {
  const TOKENS = 4;

  async function ownerWithTokens(userId: string) {
    expect((await app.userEvent('UserChanged', { tenantId: 'acme', userId, version: 1, role: 'analyst', status: 'active', authMethod: 'password' })).status).toBe(200);
    const jwt = await app.login(userId);
    const created = [];
    for (let i = 0; i < TOKENS; i++) created.push(await app.createToken(jwt, { name: `t${i}`, permissions: ['events:read', 'rules:read'] }));
    return created;
  }

  const disable = (userId: string) =>
    app.userEvent('UserChanged', { tenantId: 'acme', userId, version: 2, role: 'analyst', status: 'disabled', authMethod: 'password' });

  async function assessFullCascade(userId: string, created: { token: { id: string }; value: string }[]) {
    const snapshot = await snapshotTable();
    const items = [...snapshot.values()];
    const user = items.find((i) => i.type === 'user' && i.userId === userId)!;
    expect(user).toMatchObject({ status: 'disabled', version: 2 });
    for (const { token, value } of created) {
      const item = items.find((i) => i.id === token.id)!;
      expect(item.disabledReason, token.id).toBe('owner_disabled');
      expect(item.version, `${token.id} written exactly once by the cascade`).toBe(2);
      expect((await app.callExample(value)).status).toBe(403);
    }
    const disabledEvents = app.bus.published.filter((e) => e.detailType === 'TokenDisabled' && e.detail.ownerId === userId);
    expect(disabledEvents.map((e) => e.detail.tokenId).sort()).toEqual(created.map((c) => c.token.id).sort());
  }

  it('completes on redelivery after a crash at any store call, with each token disabled exactly once', async () => {
    // Dry run to count the cascade's store calls.
    const dry = await ownerWithTokens('cascade-dry');
    faults.reset();
    expect((await disable('cascade-dry')).status).toBe(200);
    const k = faults.calls;
    faults.reset();
    await assessFullCascade('cascade-dry', dry);
    expect(k).toBeGreaterThanOrEqual(TOKENS + 2);

    for (let n = 1; n <= k; n++) {
      // Prepare
      const userId = `cascade-crash-${n}`;
      const created = await ownerWithTokens(userId);
      const kind: FaultKind = (['throughput', 'internal', 'refused', 'throttling'] as const)[n % 4];
      faults.reset();
      faults.failCall(n, kind);
      // Act
      const crashed = await disable(userId);
      faults.reset();
      // Assess: the delivery failed (Lambda would retry it, then dead-letter it)...
      expect(crashed.status, `crash at ${n}: ${crashed.text}`).toBe(503);
      // ...and once the change is recorded, no token of the owner verifies, cascade or not.
      const recorded = [...(await snapshotTable()).values()].some((i) => i.type === 'user' && i.userId === userId && i.version === 2);
      for (const { value } of created) expect((await app.callExample(value)).status).toBe(recorded ? 403 : 200);
      const redelivered = await disable(userId);
      expect(redelivered.status, redelivered.text).toBe(200);
      await assessFullCascade(userId, created);
    }
  });
});
