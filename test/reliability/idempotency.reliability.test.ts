// A write that DynamoDB applied but whose answer was lost (a timeout after the fact), then a retry,
// gives exactly one token (README "Retries are safe", rules.md §1.16): with an Idempotency-Key
// when the client retries, and even without one when the SDK retries the write itself.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { installFaults, readTokenItem, snapshotTable, tokenItems, type FaultInjector } from '../helpers/faults.ts';

const isPut = (kind: 'token' | 'idempotency') => (call: { action: string; body: Record<string, any> }) =>
  call.action === 'PutItem' && call.body.Item?.type?.S === kind;
const isUpdate = (kind: 'renew' | 'idempotency') => (call: { action: string; body: Record<string, any> }) =>
  call.action === 'UpdateItem' && (kind === 'renew' ? String(call.body.Key?.pk?.S).startsWith('TOKEN#') && !String(call.body.UpdateExpression).includes('lastUsedAt') : String(call.body.Key?.pk?.S).startsWith('IDEM#'));

async function tokensNamed(name: string) {
  return tokenItems(await snapshotTable()).filter((t) => t.name === name);
}

describe('the client retries with the same Idempotency-Key (one SDK attempt per call)', () => {
  let app: TestApp;
  let faults: FaultInjector;
  let bob: string;
  beforeAll(async () => {
    app = await startTestApp({ env: { TESSERA_SDK_MAX_ATTEMPTS: '1', TESSERA_SDK_REQUEST_TIMEOUT_MS: '300' } });
    faults = await installFaults();
    bob = await app.login('bob');
  });
  afterEach(() => faults.reset());
  afterAll(async () => {
    await faults?.close();
    await app?.close();
  });

  const create = (key: string, name: string) =>
    app.request('POST', '/v1/tokens', { jwt: bob, body: { name, permissions: ['events:read'] }, headers: { 'idempotency-key': key } });

  for (const [what, kind] of [['the token', 'token'], ['the idempotency record', 'idempotency']] as const) {
    it(`a create whose write of ${what} was applied but answered with a timeout, retried, gives one token`, async () => {
      // Prepare
      const name = `lost reply on ${what}`;
      faults.failWhere(isPut(kind), 'lostReply');
      // Act
      const first = await create(`k-${kind}`, name);
      const retry = await create(`k-${kind}`, name);
      const again = await create(`k-${kind}`, name);
      // Assess
      expect(faults.injected).toBe(1);
      expect(first.status, first.text).toBe(503);
      expect(retry.status, retry.text).toBe(201);
      expect(again.body).toEqual(retry.body);
      const stored = await tokensNamed(name);
      expect(stored.map((t) => t.id)).toEqual([retry.body.token.id]);
      expect((await app.callExample(retry.body.value)).status).toBe(200);
    });
  }

  it('a create whose completion was lost answers, and a retry returns the same token and value', async () => {
    const name = 'lost completion';
    faults.failWhere(isUpdate('idempotency'), 'lostReply');
    const first = await create('k-completion', name);
    const retry = await create('k-completion', name);
    expect(first.status, first.text).toBe(201);
    expect(retry.body.token.id).toBe(first.body.token.id);
    expect(retry.body.value).toBe(first.body.value);
    expect(await tokensNamed(name)).toHaveLength(1);
  });

  it('a renew whose write was applied but answered with a timeout, retried, renews once', async () => {
    // Prepare
    const { token, value: before } = await app.createToken(bob);
    const version = (await readTokenItem(token.id))!.version;
    faults.failWhere(isUpdate('renew'), 'lostReply');
    const renew = () => app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: bob, body: {}, headers: { 'idempotency-key': 'renew-once' } });
    // Act
    const first = await renew();
    const retry = await renew();
    const again = await renew();
    // Assess
    expect(first.status, first.text).toBe(503);
    expect(retry.status, retry.text).toBe(200);
    expect(again.body).toEqual(retry.body);
    expect((await readTokenItem(token.id))!.version).toBe(version + 1);
    expect((await app.callExample(retry.body.value)).status).toBe(200);
    expect((await app.callExample(before)).status).toBe(403);
  });
});

describe('the SDK retries a write whose answer was lost (no Idempotency-Key)', () => {
  let app: TestApp;
  let faults: FaultInjector;
  let bob: string;
  beforeAll(async () => {
    app = await startTestApp({ env: { TESSERA_SDK_MAX_ATTEMPTS: '3', TESSERA_SDK_REQUEST_TIMEOUT_MS: '300' } });
    faults = await installFaults();
    bob = await app.login('bob');
  });
  afterEach(() => faults.reset());
  afterAll(async () => {
    await faults?.close();
    await app?.close();
  });

  it('a create answers 201 with one token: the retried write finds its own item', async () => {
    faults.failWhere(isPut('token'), 'lostReply');
    const r = await app.request('POST', '/v1/tokens', { jwt: bob, body: { name: 'sdk retry', permissions: ['events:read'] } });
    expect(faults.injected).toBe(1);
    expect(r.status, r.text).toBe(201);
    expect((await tokensNamed('sdk retry')).map((t) => t.id)).toEqual([r.body.token.id]);
    expect((await app.callExample(r.body.value)).status).toBe(200);
  });

  it('a renew answers 200 with the value it stored: the retried write finds its own hash', async () => {
    const { token } = await app.createToken(bob);
    faults.failWhere(isUpdate('renew'), 'lostReply');
    const r = await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: bob, body: {} });
    expect(faults.injected).toBe(1);
    expect(r.status, r.text).toBe(200);
    expect((await app.callExample(r.body.value)).status).toBe(200);
  });
});
