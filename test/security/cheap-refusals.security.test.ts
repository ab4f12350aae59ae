// Cheap refusals (README "Cheap refusals"): a value this deployment did not mint costs no store
// read; one it minted but that no longer works costs exactly one eventually consistent read,
// whatever the reason (unknown id, wrong secret, disabled, expired), so neither cost nor timing
// tells them apart; a strongly consistent re-read happens only for a value minted seconds ago.
// Values already issued (the untagged format, legacy UUID+secret) keep working.
import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_INSPECTOR } from '../../local/identities.ts';
import { getConfig } from '../../shared/config.ts';
import { macKeys } from '../../shared/crypto/mac.ts';
import { newId } from '../../shared/ids.ts';
import { store } from '../../shared/store/client.ts';
import { tokenKeys } from '../../shared/store/keys.ts';
import { hashValue, legacyTokenId, mintUntaggedValue, mintValue } from '../../shared/token-value.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { importRecords, legacyCredential } from '../helpers/legacy.ts';

let app: TestApp;
let bob: string;
/** Every read of a token or user item while the example API is called: action, and whether it was consistent. */
const reads: { action: string; consistent: boolean }[] = [];
let removeSpy: () => void;

beforeAll(async () => {
  // No decision cache: every call below is a first verification.
  app = await startTestApp({ env: { TESSERA_AUTH_CACHE_SECONDS: '0', TESSERA_AUTH_DENY_CACHE_SECONDS: '0' } });
  bob = await app.login('bob');
  removeSpy = app.storeProxy.use(async (call, next) => {
    // Reads of token and user items (the example handlers have no store access; other reads,
    // such as a revocation feed's, are not what a credential costs).
    type Key = { pk?: { S?: string } };
    type Read = { Keys?: Key[]; Key?: Key; ConsistentRead?: boolean };
    const request: Read | undefined = call.body.RequestItems ? Object.values(call.body.RequestItems as Record<string, Read>)[0] : (call.body as Read);
    const keys: Key[] = request?.Keys ?? (request?.Key ? [request.Key] : []);
    const ofCredential = keys.some((k) => /^(TOKEN|USER)#/.test(k.pk?.S ?? ''));
    if (call.functionId !== LOCAL_INSPECTOR && ofCredential && (call.action === 'BatchGetItem' || call.action === 'GetItem')) {
      reads.push({ action: call.action, consistent: request?.ConsistentRead === true });
    }
    return next();
  });
});
afterEach(() => {
  reads.length = 0;
});
afterAll(async () => {
  removeSpy?.();
  await app?.close();
});

async function refused(value: string, headers: Record<string, string> = {}) {
  reads.length = 0;
  const r = await app.callExample(value, '/example/whoami', headers);
  expect(r.status, r.text).toBe(403);
  return reads.map((x) => `${x.action}${x.consistent ? ' (consistent)' : ''}`);
}

describe('a value this deployment did not mint', () => {
  it('costs no read when it carries a tag under another key, whatever id and owner it names', async () => {
    const { token } = await app.createToken(bob);
    for (const id of [token.id, newId('token')]) {
      const forged = mintValue(id, 'acme', 'bob', { key: randomBytes(32), nowMs: getConfig().clock.now() });
      expect(await refused(forged)).toEqual([]);
    }
  });

  it('costs no read when it is malformed or its checksum fails', async () => {
    const { value } = await app.createToken(bob);
    expect(await refused(value.slice(0, 50) + (value[50] === 'a' ? 'b' : 'a') + value.slice(51))).toEqual([]);
    expect(await refused('tsr_' + 'x'.repeat(109))).toEqual([]);
  });

  it('costs at most one eventually consistent read in the untagged format', async () => {
    const { token } = await app.createToken(bob);
    await app.advance(30); // past any recent revocation of bob, whose reads are consistent for a while
    expect(await refused(mintUntaggedValue(newId('token'), 'acme', 'bob'))).toEqual(['BatchGetItem']);
    expect(await refused(mintUntaggedValue(token.id, 'acme', 'bob'))).toEqual(['BatchGetItem']);
  });
});

describe('refusals of values this deployment minted', () => {
  it('cost the same single eventually consistent read for an unknown id, a wrong secret, a disabled and an expired token', async () => {
    // Prepare: one value of each kind, all minted more than a few seconds before they are used.
    const deleted = await app.createToken(bob);
    await app.request('DELETE', `/v1/tokens/${deleted.token.id}`, { jwt: bob });
    const renewed = await app.createToken(bob);
    await app.request('POST', `/v1/tokens/${renewed.token.id}/renew`, { jwt: bob, body: {} });
    const disabled = await app.createToken(bob);
    await app.request('PATCH', `/v1/tokens/${disabled.token.id}`, { jwt: bob, body: { enabled: false } });
    const expiring = await app.createToken(bob, { expiresAt: new Date(getConfig().clock.now() + 5_000).toISOString() });
    await app.advance(30);
    // Act
    const cost = {
      unknown: await refused(deleted.value),
      mismatch: await refused(renewed.value),
      disabled: await refused(disabled.value),
      expired: await refused(expiring.value),
    };
    // Assess
    expect(cost).toEqual({ unknown: ['BatchGetItem'], mismatch: ['BatchGetItem'], disabled: ['BatchGetItem'], expired: ['BatchGetItem'] });
  });

  it('re-reads consistently only a value minted seconds ago, which an eventual read may not see yet', async () => {
    await app.advance(30); // nothing of bob's revoked in the last seconds
    // Minted here a moment ago (for a token whose write an eventual read could still miss).
    const [key] = await macKeys('value-tag');
    const fresh = mintValue(newId('token'), 'acme', 'bob', { key, nowMs: getConfig().clock.now() });
    expect(await refused(fresh)).toEqual(['BatchGetItem', 'BatchGetItem (consistent)']);
    await app.advance(30);
    expect(await refused(fresh)).toEqual(['BatchGetItem']);
  });

  it('accepts a fresh value with one read', async () => {
    const { value } = await app.createToken(bob);
    reads.length = 0;
    expect((await app.callExample(value)).status).toBe(200);
    expect(reads.filter((r) => r.action !== 'UpdateItem').map((r) => r.action)).toEqual(['BatchGetItem']);
  });
});

describe('values already issued keep working', () => {
  it('accepts an untagged value of a token, and refuses it once disabled with one read', async () => {
    // Prepare: a token whose stored hash is that of an untagged value, as issued before tags.
    const { token } = await app.createToken(bob);
    const untagged = mintUntaggedValue(token.id, 'acme', 'bob');
    await store().send(
      new UpdateCommand({
        TableName: getConfig().tableName,
        Key: tokenKeys.primary(token.id),
        UpdateExpression: 'SET #hash = :hash',
        ExpressionAttributeNames: { '#hash': 'hash' },
        ExpressionAttributeValues: { ':hash': hashValue(untagged) },
      }),
    );
    // Act + Assess
    expect((await app.callExample(untagged)).status).toBe(200);
    await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { enabled: false } });
    // Seconds after a revocation, once the container has seen it in the feed, the one read is
    // strongly consistent (README "Caching and the worst-case revocation delay"); later it is
    // eventually consistent. Either way: one read.
    expect((await refused(untagged)).map((r) => r.replace(' (consistent)', ''))).toEqual(['BatchGetItem']);
    await app.advance(30);
    expect(await refused(untagged)).toEqual(['BatchGetItem']);
  });

  it('accepts a legacy UUID and secret, and refuses a wrong secret, an unknown UUID and a disabled one with one read each', async () => {
    const ok = legacyCredential('bob');
    const off = legacyCredential('bob');
    expect((await importRecords(app, [ok.record, off.record])).status).toBe(200);
    const legacy = (c: { uuid: string; secret: string }) => ({ 'x-api-uuid': c.uuid, 'x-api-secret': c.secret });
    const call = (c: { uuid: string; secret: string }) => app.request('GET', '/example/whoami', { headers: legacy(c) });
    expect((await call(ok)).status).toBe(200);
    await app.request('PATCH', `/v1/tokens/${legacyTokenId(off.uuid)}`, { jwt: bob, body: { enabled: false } });
    const costOf = async (c: { uuid: string; secret: string }) => {
      reads.length = 0;
      expect((await call(c)).status).toBe(403);
      return reads.map((r) => r.action);
    };
    expect(await costOf({ uuid: ok.uuid, secret: 'wrong' })).toEqual(['GetItem']);
    expect(await costOf({ uuid: legacyCredential('bob').uuid, secret: ok.secret })).toEqual(['GetItem']);
    expect(await costOf(off)).toEqual(['GetItem']);
  });
});

describe('with DynamoDB eventual consistency emulated (stale eventually consistent reads)', () => {
  const LAG_MS = 1_500;
  const settle = () => new Promise((r) => setTimeout(r, LAG_MS + 100));
  let lagging: TestApp;
  let jwt: string;
  const seen: string[] = [];
  beforeAll(async () => {
    lagging = await startTestApp({ consistency: { readLagMs: LAG_MS }, env: { TESSERA_AUTH_CACHE_SECONDS: '0', TESSERA_AUTH_DENY_CACHE_SECONDS: '0' } });
    await settle(); // the seeded users, written at start, are past the lag
    await lagging.advance(30); // and past the revocation feed's hold on them (service clock)
    jwt = await lagging.login('bob');
    lagging.storeProxy.use(async (call, next) => {
      if (call.action === 'BatchGetItem' && call.functionId !== LOCAL_INSPECTOR) {
        const request = Object.values(call.body.RequestItems as Record<string, { ConsistentRead?: boolean }>)[0];
        seen.push(request?.ConsistentRead ? 'BatchGetItem (consistent)' : 'BatchGetItem');
      }
      return next();
    });
  });
  afterAll(async () => lagging?.close());

  it('accepts a value created a moment ago, which the eventual read misses, through the one consistent re-read', async () => {
    const { value } = await lagging.createToken(jwt);
    seen.length = 0;
    expect((await lagging.callExample(value)).status).toBe(200);
    expect(seen).toEqual(['BatchGetItem', 'BatchGetItem (consistent)']);
  });

  it('accepts a value renewed a moment ago, whose old hash the eventual read may still show', async () => {
    const { token } = await lagging.createToken(jwt);
    await settle(); // the creation is past the lag; the renew will not be
    const renewed = await lagging.request('POST', `/v1/tokens/${token.id}/renew`, { jwt, body: {} });
    seen.length = 0;
    expect((await lagging.callExample(renewed.body.value)).status).toBe(200);
    // An eventual read (stale: the old hash) then the consistent one; or, once the container has
    // seen the renew in the revocation feed, the consistent read alone.
    expect(seen.at(-1)).toBe('BatchGetItem (consistent)');
    expect(seen.length).toBeLessThanOrEqual(2);
  });
});
