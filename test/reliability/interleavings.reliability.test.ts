// Interleavings of token changes with owner changes, each forced by holding one store call until
// another request has finished. Afterwards the tokens, and what the authorizer accepts, are what
// some serial order of the same requests gives (docs/rules.md §1.4, §1.6, §1.10).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyTokenId, ownerRefOf } from '../../shared/token-value.ts';
import { startTestApp, type Reply, type TestApp } from '../helpers/app.ts';
import { installFaults, type FaultInjector, type StoreCall } from '../helpers/faults.ts';
import { importRecords, legacyCredential } from '../helpers/legacy.ts';
import { Driver, expectSerializable, versionsOf, type Op, type OwnerChange, type Start } from '../helpers/serial-model.ts';

let app: TestApp;
let faults: FaultInjector;

beforeAll(async () => {
  // No authorizer cache: every verification reads the store, so it shows the store's truth.
  app = await startTestApp({ env: { TESSERA_AUTH_CACHE_SECONDS: '0' } });
  faults = await installFaults();
});
afterAll(async () => {
  await faults?.close();
  await app?.close();
});

let users = 0;
/** A fresh active analyst with its own versions, logged in. */
async function newOwner() {
  const userId = `il-${++users}`;
  let version = 0;
  const base = { tenantId: 'acme', userId, role: 'analyst', authMethod: 'password', status: 'active' };
  const change = async (detail: Record<string, unknown> = {}) => {
    const r = await app.userEvent('UserChanged', { ...base, version: ++version, ...detail });
    expect(r.status, r.text).toBe(200);
  };
  await change();
  return { userId, ownerRef: ownerRefOf('acme', userId), jwt: await app.login(userId), change };
}

const writeOf = (action: string, tokenId: string) => (c: StoreCall) => c.action === action && c.body.Key?.pk?.S === `TOKEN#${tokenId}`;
const tokenOf = async (jwt: string, id: string) => (await app.request('GET', `/v1/tokens/${id}`, { jwt })).body;

describe('PATCH enabled: true racing the owner being disabled', () => {
  it('never ends enabled under the disabled owner, nor works after the owner is re-activated', async () => {
    // Prepare: a manually disabled token, which the cascade has no reason to touch.
    const owner = await newOwner();
    const { token, value } = await app.createToken(owner.jwt);
    expect((await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: owner.jwt, body: { enabled: false } })).status).toBe(200);
    // Act: the PATCH has read an active owner; its write waits until the disable has been handled.
    const held = faults.hold(writeOf('UpdateItem', token.id));
    const patch = app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: owner.jwt, body: { enabled: true } });
    await held.reached;
    await owner.change({ status: 'disabled' });
    held.release();
    const patched = await patch;
    // Assess: "enable, then disable the owner" (200, then disabled by the cascade) or "disable, then enable" (409).
    expect([200, 409], patched.text).toContain(patched.status);
    await owner.change({ status: 'active' });
    const admin = await app.login('alice');
    const after = await tokenOf(admin, token.id);
    expect({ status: after.status, reason: after.disabledReason }).toEqual(
      patched.status === 200 ? { status: 'disabled', reason: 'owner_disabled' } : { status: 'disabled', reason: 'manual' },
    );
    expect((await app.callExample(value)).status).toBe(403);
  });
});

describe('create racing the owner being disabled, with the owner index behind', () => {
  it('leaves the new token disabled, and it does not work after the owner is re-activated', async () => {
    // Prepare: the store's emulated index lag, longer than this test: the byOwner index has not
    // caught up with the create when the cascade reads it.
    const owner = await newOwner();
    app.consistency.set({ indexLagMs: 60_000 });
    try {
      const { token, value } = await app.createToken(owner.jwt);
      // Act
      await owner.change({ status: 'disabled' });
      await owner.change({ status: 'active' });
      // Assess: as "create, then disable the owner": disabled by the cascade, and it stays so.
      const after = await tokenOf(owner.jwt, token.id);
      expect({ status: after.status, reason: after.disabledReason }).toEqual({ status: 'disabled', reason: 'owner_disabled' });
      expect((await app.callExample(value)).status).toBe(403);
    } finally {
      app.consistency.set({ indexLagMs: 0 });
    }
  });
});

describe('legacy import racing the owner being disabled', () => {
  it('leaves the imported token disabled as the cascade disables the owner\'s other tokens, and it does not work after re-activation', async () => {
    // Prepare: a token of the owner's, which the cascade finds and disables.
    const owner = await newOwner();
    const { token: other } = await app.createToken(owner.jwt);
    const legacy = legacyCredential(owner.userId);
    const id = legacyTokenId(legacy.uuid);
    const mark = app.bus.published.length;
    // Act: the import has read an active owner; its first write (the recent-token note) waits
    // until the disable has been recorded and its cascade has looked for the owner's tokens.
    const held = faults.hold((c) => c.action === 'UpdateItem' && c.body.Key?.pk?.S === `RECENT#${owner.ownerRef}`);
    const imported = importRecords(app, [legacy.record]);
    await held.reached;
    await owner.change({ status: 'disabled' });
    held.release();
    const report = await imported;
    // Assess: as "import, then disable the owner".
    expect(report.body, report.text).toEqual({ imported: 1, skipped: [] });
    const admin = await app.login('alice');
    const after = await tokenOf(admin, id);
    expect({ status: after.status, reason: after.disabledReason }).toEqual({ status: 'disabled', reason: 'owner_disabled' });
    const disabledEvents = app.bus.published.slice(mark).filter((e) => e.detailType === 'TokenDisabled');
    const eventOf = (tokenId: string) => disabledEvents.find((e) => e.detail.tokenId === tokenId);
    expect(eventOf(id)?.detail).toMatchObject({ tokenId: id, ownerId: owner.userId, reason: 'owner_disabled' });
    expect(eventOf(other.id)?.detail.reason).toBe('owner_disabled');
    // The same activity entry as the cascade wrote for the owner's other token, dated at the disable.
    const disabledEntry = async (tokenId: string) => {
      const r = await app.request('GET', `/v1/audit?tokenId=${tokenId}&action=disabled`, { jwt: admin });
      expect(r.body.items, r.text).toHaveLength(1);
      const { id: _, tokenId: __, tokenName: ___, at, ...entry } = r.body.items[0];
      expect(at).toBe((await tokenOf(admin, tokenId)).disabledAt);
      return entry;
    };
    expect(await disabledEntry(id)).toEqual(await disabledEntry(other.id));
    await owner.change({ status: 'active' });
    const login = await app.request('GET', '/example/whoami', { headers: { 'x-api-uuid': legacy.uuid, 'x-api-secret': legacy.secret } });
    expect(login.status).toBe(403);
  });
});

describe('renew racing delete', () => {
  it('answers as one of the serial orders: renewed then deleted, or 404', async () => {
    // Prepare
    const owner = await newOwner();
    const { token, value } = await app.createToken(owner.jwt);
    // Act: the renew has read the token; its write waits until the delete has finished.
    const held = faults.hold(writeOf('UpdateItem', token.id));
    const renew = app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: owner.jwt, body: {} });
    await held.reached;
    const deleted = await app.request('DELETE', `/v1/tokens/${token.id}`, { jwt: owner.jwt });
    held.release();
    const renewed = await renew;
    // Assess
    expect(deleted.status).toBe(204);
    expect(renewed.status, renewed.text).toBe(404);
    expect(renewed.body.error.code).toBe('NOT_FOUND');
    expect((await app.callExample(value)).status).toBe(403);
  });
});

// ---- every pair, every single switch ----------------------------------------------------------

// For each pair of requests A, B and each k: A runs alone until its k-th store call, which is held
// until B has finished; then A goes on. Done both ways round, for every k, this is every
// interleaving in which one request overtakes the other at one store call. (k = 1 is the serial
// order "B, A", which the other way round ends with.) Pairs run side by side, on owners of their own.
const TOKEN_WRITES: Op[] = [{ kind: 'enable' }, { kind: 'create' }];
const OWNER_CHANGES: OwnerChange[] = ['disable', 'narrow', 'sso', 'delete'];
const PAIRS: { ops: Op[]; start: Start }[] = [
  ...TOKEN_WRITES.flatMap((w) => OWNER_CHANGES.map((change) => ({ ops: [w, { kind: 'owner', change } as Op], start: { t0Enabled: w.kind !== 'enable' } }))),
  { ops: [{ kind: 'renew' }, { kind: 'delete' }], start: { t0Enabled: true } },
];

describe('every pair, overtaken at every store call', () => {
  for (const { ops, start } of PAIRS) {
    const name = ops.map((o) => (o.kind === 'owner' ? `owner ${o.change}` : o.kind)).join(' / ');
    it.concurrent(`${name}: each interleaving ends as one of the two serial orders`, { timeout: 120_000 }, async () => {
      const driver = new Driver(app, 'pair');
      const versions = versionsOf(ops);
      const last = Math.max(1, ...versions);
      for (const [a, b] of [[0, 1], [1, 0]]) {
        for (let k = 2; ; k++) {
          // Prepare
          const run = await driver.start(start);
          let n = 0;
          const held = faults.hold((call) => run.concerns(call) && ++n === k);
          // Act
          const replies: Reply[] = [];
          const first = run.run(ops[a], a, versions[a]).then((r) => (replies[a] = r));
          const parked = await Promise.race([held.reached.then(() => true), first.then(() => false)]);
          if (parked) replies[b] = await run.run(ops[b], b, versions[b]);
          held.release();
          await first;
          if (!parked) replies[b] = await run.run(ops[b], b, versions[b]);
          // Assess
          expectSerializable(start, ops, replies, await run.finish(replies, last));
          if (!parked) break;
        }
      }
    });
  }
});
