// The local IAM refuses what a function's grant omits (local/iam.ts, README: grants). For every
// function and every action its grant holds, a minimal scenario runs that function's code path
// signed with its own credentials: it succeeds under the full grant and fails with that one
// action taken away. So a store, key or bus call added without its grant fails here, not on AWS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS, type FunctionAccess, type FunctionId } from '../../infra/access.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ttlRemovalRecord } from '../../local/streams.ts';
import { encodeLogsEvent } from '../../shared/cloudwatch-logs.ts';
import { USAGE_FILTER, usageLine } from '../../shared/usage-line.ts';
import { credentialsEnv, identityOf, LOCAL_INSPECTOR, LOCAL_RUNTIME } from '../../local/identities.ts';
import { auditKeys, userKeys } from '../../shared/store/keys.ts';
import { resetVault } from '../../shared/crypto/vault.ts';
import { resetMacKeys } from '../../shared/crypto/mac.ts';
import { resetPublisher } from '../../shared/events/publish.ts';
import { clearVerifyCaches } from '../../shared/domain/verify.ts';
import { resetStore } from '../../shared/store/client.ts';
import { legacyTokenId } from '../../shared/token-value.ts';
import { JOBS } from '../../shared/routes.ts';
import { clock } from '../../shared/clock.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { legacyCredential, newUser } from '../helpers/legacy.ts';
import { readTokenItem } from '../helpers/faults.ts';

let app: TestApp;
let bob: string;
let alice: string;
let serial = 0;
let inspector: DynamoDBDocumentClient;
let keyDir: string;
const leakKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'tessera-iam-keys-'));
  const keyFile = join(keyDir, 'keys.json');
  writeFileSync(keyFile, JSON.stringify({ public_keys: [{ key_identifier: 'k1', key: leakKey.publicKey.export({ type: 'spki', format: 'pem' }), is_current: true }] }));
  // Inline: every scenario runs its function as a cold container of its own (fresh clients and
  // caches, its own credentials), which the in-process handlers allow between two calls.
  app = await startTestApp({ environments: 'inline', env: { TESSERA_AUTH_CACHE_SECONDS: '0', TESSERA_LEAK_KEYS: keyFile } });
  inspector = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: app.storeProxy.endpoint, region: 'us-east-1', credentials: identityOf(LOCAL_INSPECTOR) }));
  bob = await app.login('bob');
  alice = await app.login('alice');
});
afterAll(async () => {
  inspector?.destroy();
  await app?.close();
  rmSync(keyDir, { recursive: true, force: true });
});

/** The actions of a token's activity entries, read as the store's operator. */
async function activityOf(tokenId: string): Promise<string[]> {
  const out = await inspector.send(new QueryCommand({
    TableName: process.env.TESSERA_TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': auditKeys.tokenPk(tokenId) },
  }));
  return (out.Items ?? []).map((i) => i.action as string);
}

/** Runs `act` as a cold container of `functionId`: its credentials, fresh clients and caches. */
async function asFunction<T>(functionId: string, act: () => Promise<T>): Promise<T> {
  const use = (id: string) => {
    Object.assign(process.env, credentialsEnv(id));
    resetStore();
    resetVault();
    resetMacKeys();
    resetPublisher();
    clearVerifyCaches();
  };
  use(functionId);
  try {
    return await act();
  } finally {
    use(LOCAL_RUNTIME);
  }
}

/**
 * The identity system's change, recorded while a scenario's token write is on its way (written
 * as the store's operator): the owner's version 2, disabled.
 */
const recordOwnerDisabled = (userId: string) => inspector.send(new UpdateCommand({
  TableName: process.env.TESSERA_TABLE, Key: userKeys.primary('acme', userId),
  UpdateExpression: 'SET #v = :v, #s = :s', ExpressionAttributeNames: { '#v': 'version', '#s': 'status' },
  ExpressionAttributeValues: { ':v': 2, ':s': 'disabled' },
}));

const publishedSince = (mark: number, type: string) => app.bus.published.slice(mark).some((e) => e.detailType === type);

interface Scenario {
  /** Prepared as the local runtime (unrestricted): the state the act needs. */
  prepare?: () => Promise<any>;
  /** The function's own code path, signed as the function. */
  act: (ctx: any) => Promise<boolean>;
}

const ok = (status: number, expected: number) => status === expected;

const SCENARIOS: Record<FunctionId, Scenario | null> = {
  health: null,
  openapi: null,
  exampleWhoami: null,
  exampleEvents: null,
  me: { act: async () => ok((await app.request('GET', '/v1/me', { jwt: bob })).status, 200) },
  createToken: {
    // The owner changes while the token is written: the create re-reads the owner and disables it.
    prepare: async () => {
      const userId = `create-${++serial}`;
      const jwt = await newUser(app, userId);
      const remove = app.storeProxy.use(async (call, next) => {
        if (call.action === 'PutItem' && call.body.Item?.type?.S === 'token' && call.body.Item?.ownerId?.S === userId) {
          remove();
          const answer = await next();
          await recordOwnerDisabled(userId);
          return answer;
        }
        return next();
      });
      // A create under an Idempotency-Key, answered once already (by another container).
      const key = `k-${++serial}`;
      const first = await app.request('POST', '/v1/tokens', { jwt: bob, body: { name: 'y', permissions: ['events:read'] }, headers: { 'idempotency-key': key } });
      return { jwt, key, value: first.body.value, mark: app.bus.published.length };
    },
    act: async ({ jwt, key, value, mark }) => {
      const r = await app.request('POST', '/v1/tokens', { jwt, body: { name: 'x', permissions: ['events:read'] } });
      // The retry replays the first answer: its value, unsealed again.
      const replay = await app.request('POST', '/v1/tokens', { jwt: bob, body: { name: 'y', permissions: ['events:read'] }, headers: { 'idempotency-key': key } });
      return r.status === 201 && r.body.token.status === 'disabled' && publishedSince(mark, 'TokenCreated') && (await activityOf(r.body.token.id)).includes('created')
        && replay.body?.value === value;
    },
  },
  listTokens: {
    prepare: async () => {
      await app.createToken(bob);
      await app.createToken(bob);
    },
    act: async () => {
      // A page of one, so the answer carries a keyed cursor, which the next page hands back.
      const own = await app.request('GET', '/v1/tokens?limit=1', { jwt: bob });
      const next = own.body?.nextCursor ? await app.request('GET', `/v1/tokens?limit=1&cursor=${own.body.nextCursor}`, { jwt: bob }) : undefined;
      const tenant = await app.request('GET', '/v1/tokens', { jwt: alice });
      return own.status === 200 && next?.status === 200 && next.body.items.length > 0 && tenant.status === 200 && tenant.body.items.length > 0;
    },
  },
  getToken: {
    prepare: async () => (await app.createToken(bob)).token.id,
    act: async (id) => ok((await app.request('GET', `/v1/tokens/${id}`, { jwt: bob })).status, 200),
  },
  tokenValue: {
    prepare: async () => app.createToken(bob),
    act: async ({ token, value }) => (await app.request('GET', `/v1/tokens/${token.id}/value`, { jwt: bob })).body?.value === value,
  },
  patchToken: {
    prepare: async () => ({ id: (await app.createToken(bob)).token.id, mark: app.bus.published.length }),
    act: async ({ id, mark }) =>
      ok((await app.request('PATCH', `/v1/tokens/${id}`, { jwt: bob, body: { enabled: false } })).status, 200) && publishedSince(mark, 'TokenDisabled')
      && (await activityOf(id)).includes('disabled'),
  },
  renewToken: {
    prepare: async () => {
      // A renew under an Idempotency-Key, answered once already (by another container).
      const other = (await app.createToken(bob)).token.id;
      const key = `k-${++serial}`;
      const first = await app.request('POST', `/v1/tokens/${other}/renew`, { jwt: bob, body: {}, headers: { 'idempotency-key': key } });
      return { id: (await app.createToken(bob)).token.id, other, key, value: first.body.value, mark: app.bus.published.length };
    },
    act: async ({ id, other, key, value, mark }) => {
      const renewed = ok((await app.request('POST', `/v1/tokens/${id}/renew`, { jwt: bob, body: {} })).status, 200);
      const replay = await app.request('POST', `/v1/tokens/${other}/renew`, { jwt: bob, body: {}, headers: { 'idempotency-key': key } });
      return renewed && publishedSince(mark, 'TokenRenewed') && (await activityOf(id)).includes('renewed') && replay.body?.value === value;
    },
  },
  deleteToken: {
    // A token that came from a legacy credential: the delete marks the UUID revoked first.
    prepare: async () => {
      const { uuid, record } = legacyCredential('bob');
      expect((await app.request('POST', '/_local/legacy-import', { body: { credentials: [record] } })).body.imported).toBe(1);
      return { id: legacyTokenId(uuid), mark: app.bus.published.length };
    },
    act: async ({ id, mark }) => ok((await app.request('DELETE', `/v1/tokens/${id}`, { jwt: bob })).status, 204) && publishedSince(mark, 'TokenDeleted')
      && (await activityOf(id)).includes('deleted'),
  },
  authorizer: {
    prepare: async () => {
      const legacy = legacyCredential('bob');
      await app.request('POST', '/_local/legacy-import', { body: { credentials: [legacy.record] } });
      return { ...(await app.createToken(bob)), legacy };
    },
    act: async ({ value, legacy }) => {
      // The value path, the legacy path, and (on every call of a warm container) the revocation feed.
      const byValue = await app.request('GET', '/example/whoami', { headers: { authorization: `Bearer ${value}` } });
      const byLegacy = await app.request('GET', '/example/whoami', { headers: { 'x-api-uuid': legacy.uuid, 'x-api-secret': legacy.secret } });
      return byValue.status === 200 && byLegacy.status === 200;
    },
  },
  usage: {
    // The authorizer's usage lines, as the CloudWatch Logs subscription delivers them.
    prepare: async () => {
      const { token } = await app.createToken(bob);
      const at = clock.now();
      return {
        id: token.id,
        event: encodeLogsEvent({
          messageType: 'DATA_MESSAGE', owner: '000000000000', logGroup: '/aws/lambda/tessera-authorizer', logStream: 's', subscriptionFilters: [USAGE_FILTER.name],
          logEvents: [{ id: '1', timestamp: at, message: `${usageLine({ allowed: true, tokenId: token.id, latencyMs: 1 }, at, true)}\n` }],
        }),
      };
    },
    act: async ({ id, event }) => {
      const handler = (await import(`../../${JOBS.usage.entry}`)).handler;
      const out = await handler(event, undefined).catch(() => undefined);
      return Boolean(out) && Boolean((await readTokenItem(id))?.lastUsedAt) && out.dayWrites === 1;
    },
  },
  tokenUsage: {
    prepare: async () => (await app.createToken(bob)).token.id,
    act: async (id) => {
      const r = await app.request('GET', `/v1/tokens/${id}/usage?days=7`, { jwt: bob });
      return r.status === 200 && r.body.days.length === 7;
    },
  },
  userEvents: {
    prepare: async () => {
      const userId = `cascade-${++serial}`;
      const jwt = await newUser(app, userId);
      const { token } = await app.createToken(jwt);
      return { userId, id: token.id, mark: app.bus.published.length };
    },
    act: async ({ userId, id, mark }) => {
      const r = await app.userEvent('UserChanged', { tenantId: 'acme', userId, version: 2, role: 'analyst', status: 'disabled', authMethod: 'password' });
      const item = await readTokenItem(id);
      return r.status === 200 && Boolean(item?.disabledAt) && publishedSince(mark, 'TokenDisabled') && (await activityOf(id)).includes('disabled');
    },
  },
  listAudit: {
    // A token's entries (the table), the tenant's (an administrator), the owner's (everyone else).
    prepare: async () => (await app.createToken(bob)).token.id,
    act: async (id) => {
      const byToken = await app.request('GET', `/v1/audit?tokenId=${id}`, { jwt: bob });
      const tenant = await app.request('GET', '/v1/audit', { jwt: alice });
      const own = await app.request('GET', '/v1/audit?limit=1', { jwt: bob });
      return [byToken, tenant, own].every((r) => r.status === 200 && r.body.items.length > 0) && typeof own.body.nextCursor === 'string';
    },
  },
  reportLeaks: {
    prepare: async () => ({ ...(await app.createToken(bob)), mark: app.bus.published.length }),
    act: async ({ token, value, mark }) => {
      const body = JSON.stringify([{ token: value, type: 'tessera_api_token', url: 'https://github.com/o/r/blob/x/f', source: 'content' }]);
      const signature = sign('sha256', Buffer.from(body), leakKey.privateKey).toString('base64');
      const r = await app.request('POST', '/v1/leaks', { raw: body, headers: { 'content-type': 'application/json', 'github-public-key-identifier': 'k1', 'github-public-key-signature': signature } });
      const item = await readTokenItem(token.id);
      return r.status === 200 && r.body?.[0]?.token_hash === createHash('sha256').update(value).digest('hex') && item?.disabledReason === 'leaked'
        && publishedSince(mark, 'TokenLeaked') && (await activityOf(token.id)).includes('disabled');
    },
  },
  ttlRemovals: {
    // The week-later deletion's stream record, as the table's stream delivers it.
    prepare: async () => {
      const { token } = await app.createToken(bob);
      return { id: token.id, record: ttlRemovalRecord((await readTokenItem(token.id))!) };
    },
    act: async ({ id, record }) => {
      const handler = (await import(`../../${JOBS.ttlRemovals.entry}`)).handler;
      const out = await handler({ Records: [record] }, undefined).catch(() => undefined);
      return Boolean(out) && (await activityOf(id)).includes('deleted');
    },
  },
  legacyImport: {
    // The owner is disabled while the import writes the token: the import re-reads the owner and
    // disables it (a cascade run then would have found no token yet, so none runs here).
    prepare: async () => {
      const userId = `import-${++serial}`;
      await newUser(app, userId);
      const remove = app.storeProxy.use(async (call, next) => {
        if (call.action === 'PutItem' && call.body.Item?.type?.S === 'token' && call.body.Item?.ownerId?.S === userId) {
          remove();
          await recordOwnerDisabled(userId);
        }
        return next();
      });
      const { uuid, record } = legacyCredential(userId);
      return { id: legacyTokenId(uuid), record, mark: app.bus.published.length, remove };
    },
    act: async ({ id, record, mark, remove }) => {
      const imported = (await app.request('POST', '/_local/legacy-import', { body: { credentials: [record] } })).body?.imported === 1;
      remove(); // if the import never got to the write
      return imported && (await readTokenItem(id))?.disabledReason === 'owner_disabled' && publishedSince(mark, 'TokenDisabled')
        && (await activityOf(id)).includes('disabled');
    },
  },
  expiryNotices: {
    // One token about to expire (the notice), one that expired an hour ago (the activity entry).
    prepare: async () => {
      const jwt = await app.login('bob');
      const at = (ms: number) => new Date(clock.now() + ms).toISOString();
      const soon = (await app.createToken(jwt, { expiresAt: at(86_400_000) })).token.id;
      const expired = (await app.createToken(jwt, { expiresAt: at(3_600_000) })).token.id;
      clock.advance(2 * 3600); // the service clock only: no sweep, no job run yet
      return { soon, expired, mark: app.bus.published.length };
    },
    act: async ({ soon, expired, mark }) => {
      const handler = (await import(`../../${JOBS.expiryNotices.entry}`)).handler;
      const out = await handler({}, undefined).catch(() => undefined);
      return Boolean(out) && (await readTokenItem(soon))?.expiryNoticeFor !== undefined && publishedSince(mark, 'TokenExpiringSoon')
        && (await activityOf(expired)).includes('expired');
    },
  },
};

/** Each grant with one of its actions (or one index of its Query) taken away. */
function withoutOne(access: FunctionAccess): { label: string; access: FunctionAccess }[] {
  return [
    ...access.table.map((a) => ({ label: `dynamodb:${a}`, access: { ...access, table: access.table.filter((x) => x !== a) } })),
    ...access.query.map((i) => ({ label: `dynamodb:Query on index ${i}`, access: { ...access, query: access.query.filter((x) => x !== i) } })),
    ...access.valueKey.map((a) => ({ label: `kms:${a}`, access: { ...access, valueKey: access.valueKey.filter((x) => x !== a) } })),
    ...(access.publish ? [{ label: 'events:PutEvents', access: { ...access, publish: false } }] : []),
    ...(access.macKey ? [{ label: 'kms:GenerateMac', access: { ...access, macKey: false } }] : []),
  ];
}

async function run(id: FunctionId, scenario: Scenario, access: FunctionAccess): Promise<boolean> {
  const ctx = await scenario.prepare?.();
  // Log lines of earlier scenarios go out now, under the runtime's identity: delivered later, in
  // this window, they would sign as this function (inline handlers share the environment).
  await app.flushLogs();
  app.iam.grants.set(id, access);
  try {
    return await asFunction(id, () => scenario.act(ctx));
  } finally {
    app.iam.grants.set(id, ACCESS[id]);
  }
}

describe('IAM enforced on every function', () => {
  it('has a scenario for every function that holds a grant', () => {
    for (const [id, access] of Object.entries(ACCESS) as [FunctionId, FunctionAccess][]) {
      const holds = withoutOne(access).length > 0;
      expect(SCENARIOS[id] !== null, id).toBe(holds);
    }
  });

  for (const [id, scenario] of Object.entries(SCENARIOS) as [FunctionId, Scenario | null][]) {
    if (!scenario) continue;
    it(`${id} works under exactly its grant, and fails without any one of its actions`, async () => {
      const refusalsBefore = app.iam.refusals.length;
      expect(await run(id, scenario, ACCESS[id]), `${id} under its own grant`).toBe(true);
      expect(app.iam.refusals.slice(refusalsBefore), `${id} was refused under its own grant`).toEqual([]);
      for (const { label, access } of withoutOne(ACCESS[id])) {
        expect(await run(id, scenario, access), `${id} without ${label}`).toBe(false);
      }
    });
  }
});
