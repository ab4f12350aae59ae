// The authorizer's cache of owner projections (README "Caching and the worst-case revocation
// delay"): a value whose owner was read within the acceptance window costs one GetItem of the
// token; the revocation feed drops the owner, so a change of the owner still ends every one of
// its values within 2 s (rules.md §1.6, §1.10), including values never verified before; a refusal
// for the owner's sake is never made from the cache alone.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serviceNowIso } from '../../shared/config.ts';
import { clearVerifyCaches } from '../../shared/domain/verify.ts';
import { announceRevocations } from '../../shared/store/revocations.ts';
import { putUserIfNewer, type UserRecord } from '../../shared/store/users.ts';
import { mintUntaggedValue, ownerRefOf } from '../../shared/token-value.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { storeCallsDuring } from '../helpers/store-calls.ts';

/** Longer than the feed's 10 s hold, so that only the feed's drop can end a cached projection after it. */
const WINDOW_SECONDS = 30;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { TESSERA_AUTH_CACHE_SECONDS: String(WINDOW_SECONDS), TESSERA_AUTH_DENY_CACHE_SECONDS: '5' } });
});
afterAll(async () => app?.close());
beforeEach(() => clearVerifyCaches());

let version = 1;
type Projection = Partial<Pick<UserRecord, 'role' | 'permissions' | 'status' | 'authMethod'>>;
const ANALYST: Projection = { role: 'analyst', permissions: null, status: 'active', authMethod: 'password' };

/** An owner whose creation is past the feed's hold, logged in. */
async function owner(userId: string): Promise<string> {
  const r = await app.userEvent('UserChanged', { tenantId: 'acme', userId, version: version++, role: 'analyst', status: 'active', authMethod: 'password' });
  expect(r.status).toBe(200);
  await app.advance(11);
  return app.login(userId);
}

/**
 * What a user change records before its cascade reaches any token (shared/domain/users.ts
 * applyUserEvent): the feed entry, then the projection. Without the cascade, only the owner's
 * projection can end the acceptance of the owner's tokens.
 */
async function recordOwnerChange(userId: string, change: Projection): Promise<void> {
  await announceRevocations([{ kind: 'owner', id: ownerRefOf('acme', userId) }]);
  const record = { ...ANALYST, ...change, tenantId: 'acme', userId, version: version++, email: null, updatedAt: serviceNowIso() } as Omit<UserRecord, 'ownerRef'>;
  expect(await putUserIfNewer(record)).toBe('applied');
}

/** The authorizer's token and user reads while `act` runs (the feed's Query left out). */
async function readsDuring(act: () => Promise<unknown>): Promise<string[]> {
  const seen = await storeCallsDuring(app, 'authorizer', act);
  return seen.filter((c) => !c.feed).map((c) => c.action);
}

describe('owner cache: cost', () => {
  it('reads only the token (one GetItem) for a second value of an owner read a moment ago', async () => {
    // Prepare
    const jwt = await owner('oc-cost');
    const a = await app.createToken(jwt);
    const b = await app.createToken(jwt);
    // Act
    const first = await readsDuring(async () => expect((await app.callExample(a.value)).status).toBe(200));
    const second = await readsDuring(async () => expect((await app.callExample(b.value)).status).toBe(200));
    // Assess
    expect(first).toEqual(['BatchGetItem']);
    expect(second).toEqual(['GetItem']);
  });

  it('reads the owner again once its projection is older than the acceptance window', async () => {
    const jwt = await owner('oc-window');
    const a = await app.createToken(jwt);
    const b = await app.createToken(jwt);
    expect((await app.callExample(a.value)).status).toBe(200);
    await app.advance(WINDOW_SECONDS);
    expect(await readsDuring(() => app.callExample(b.value))).toEqual(['BatchGetItem']);
  });

  it('is used only by tagged values: an untagged value naming a cached owner costs the usual BatchGetItem', async () => {
    const jwt = await owner('oc-untagged');
    const a = await app.createToken(jwt);
    expect((await app.callExample(a.value)).status).toBe(200);
    const invented = mintUntaggedValue(a.token.id, 'acme', 'oc-untagged');
    expect(await readsDuring(async () => expect((await app.callExample(invented)).status).toBe(403))).toEqual(['BatchGetItem']);
  });

  it('keeps no projection of an owner the feed named a moment ago', async () => {
    const jwt = await owner('oc-held');
    const a = await app.createToken(jwt);
    const b = await app.createToken(jwt);
    await app.advance(1);
    await recordOwnerChange('oc-held', { role: 'read_only' });
    await app.advance(1);
    // Within the feed's hold: token and owner are read together (strongly consistent) each time.
    expect(await readsDuring(() => app.callExample(a.value))).toEqual(['BatchGetItem']);
    expect(await readsDuring(() => app.callExample(b.value))).toEqual(['BatchGetItem']);
  });
});

describe('owner cache: a change of the owner ends new values within 2 s, before any cascade', () => {
  const refused: [string, Projection][] = [
    ['disabled', { status: 'disabled' }],
    ['switched to SSO', { authMethod: 'sso' }],
    ['deleted', { status: 'deleted', permissions: [] }],
    ['narrowed to nothing the token holds', { permissions: ['rules:read'] }],
    ['given a role without the token\'s permission', { role: 'deploy' }],
  ];

  it.each(refused)('refuses a value never verified before, of an owner %s after its projection was cached', async (name, change) => {
    // Prepare: the owner's projection cached by one value; another value not yet verified.
    const userId = `oc-${name.replace(/\W+/g, '-')}`;
    const jwt = await owner(userId);
    const seen = await app.createToken(jwt, { permissions: ['events:read'] });
    const unseen = await app.createToken(jwt, { permissions: ['events:read'] });
    const later = await app.createToken(jwt, { permissions: ['events:read'] });
    expect((await app.callExample(seen.value)).status).toBe(200);
    // Act
    await recordOwnerChange(userId, change);
    await app.advance(2);
    const within2s = [(await app.callExample(unseen.value)).status, (await app.callExample(seen.value)).status];
    await app.advance(10); // past the feed's hold, within the projection's window
    const afterHold = (await app.callExample(later.value)).status;
    // Assess
    expect(within2s).toEqual([403, 403]);
    expect(afterHold).toBe(403);
  });

  it('keeps no projection read before a change that the feed announced while the read was on its way', async () => {
    // Prepare: the BatchGetItem of value a reaches the store before the change; its answer is
    // held until another verification's look at the feed has named the owner.
    const jwt = await owner('oc-race');
    const [a, b, c] = [await app.createToken(jwt), await app.createToken(jwt), await app.createToken(jwt)];
    let reached!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((r) => (reached = r));
    const released = new Promise<void>((r) => (release = r));
    const remove = app.storeProxy.use(async (call, next) => {
      if (call.functionId !== 'authorizer' || call.action !== 'BatchGetItem' || !JSON.stringify(call.body).includes(a.token.id)) return next();
      const answer = await next();
      reached();
      await released;
      return answer;
    });
    try {
      // Act
      const inFlight = app.callExample(a.value);
      await arrived;
      await recordOwnerChange('oc-race', { status: 'disabled' });
      await app.advance(1);
      expect((await app.callExample(b.value)).status).toBe(403);
      release();
      await inFlight;
    } finally {
      remove();
    }
    await app.advance(11); // past the feed's hold, within the window of a projection read then
    // Assess: the projection a's read brought back (active) was not kept.
    expect((await app.callExample(c.value)).status).toBe(403);
  });

  it('narrows a value never verified before to what the narrowed owner holds', async () => {
    const jwt = await owner('oc-narrow');
    const seen = await app.createToken(jwt, { permissions: ['events:read', 'rules:read'] });
    const unseen = await app.createToken(jwt, { permissions: ['events:read', 'rules:read'] });
    expect((await app.callExample(seen.value)).status).toBe(200);
    await recordOwnerChange('oc-narrow', { role: 'read_only', permissions: ['rules:read'] });
    await app.advance(2);
    expect((await app.callExample(unseen.value)).body.context.permissions).toBe('rules:read');
  });
});

describe('owner cache: refusals', () => {
  it('never refuses for the owner\'s sake from a cached projection alone: the owner is read again', async () => {
    // Prepare: the projection cached with the owner narrowed to rules:read; the owner then widened
    // without a feed entry (a stand-in for a cached projection older than the stored one).
    const jwt = await owner('oc-widened');
    await recordOwnerChange('oc-widened', { permissions: ['rules:read'] });
    await app.advance(11);
    const narrow = await app.createToken(jwt, { permissions: ['rules:read'] });
    expect((await app.callExample(narrow.value)).status).toBe(200);
    const record = { ...ANALYST, tenantId: 'acme', userId: 'oc-widened', version: version++, email: null, updatedAt: serviceNowIso() };
    expect(await putUserIfNewer(record as Omit<UserRecord, 'ownerRef'>)).toBe('applied');
    const wide = await app.createToken(jwt, { permissions: ['events:read'] });
    // Act
    let status = 0;
    const reads = await readsDuring(async () => (status = (await app.callExample(wide.value)).status));
    // Assess: the cached projection would refuse (no_permissions); the owner as stored accepts.
    expect(status).toBe(200);
    expect(reads).toEqual(['GetItem', 'BatchGetItem']);
  });
});

describe('owner cache: a container silent for longer than the feed\'s hold, within the window', () => {
  it('refuses a value never verified before, of an owner disabled while no verification looked at the feed', async () => {
    // Prepare
    const jwt = await owner('oc-silent');
    const seen = await app.createToken(jwt);
    const unseen = await app.createToken(jwt);
    expect((await app.callExample(seen.value)).status).toBe(200);
    // Act
    await recordOwnerChange('oc-silent', { status: 'disabled' });
    await app.advance(12);
    // Assess: the feed is read back to the previous look, which drops the cached projection.
    expect((await app.callExample(unseen.value)).status).toBe(403);
  });
});
