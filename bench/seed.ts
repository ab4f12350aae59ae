// Seeds one tenant for the benchmark: users and tokens written with BatchWriteItem, built from
// the real shapes (toItem() for tokens, the projection putUserIfNewer writes for users) and the
// real value scheme (mintValue, hashValue, seal), so the real authorizer can verify every token.
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../shared/config.ts';
import { seal } from '../shared/crypto/vault.ts';
import { newId } from '../shared/ids.ts';
import { store } from '../shared/store/client.ts';
import { userKeys } from '../shared/store/keys.ts';
import { newToken } from '../shared/store/token-entity.ts';
import { toItem, type TokenRecord } from '../shared/store/tokens.ts';
import type { UserRecord } from '../shared/store/users.ts';
import { macKeys } from '../shared/crypto/mac.ts';
import { hashValue, hintOf, mintValue, ownerRefOf } from '../shared/token-value.ts';

export const TENANT = 'bench';

export interface SeedUser {
  tenantId: string;
  userId: string;
  role: string;
}

export interface SeedToken {
  id: string;
  value: string;
  userId: string;
}

export interface SeedPlan {
  users: number;
  tokens: number;
  /** Tokens of the one "heavy" user that the cascade figure disables. */
  heavyTokens: number;
}

export interface Seeded {
  users: SeedUser[];
  admin: SeedUser;
  heavy: SeedUser;
  /** Tokens of every user but the heavy one, in load order. */
  tokens: SeedToken[];
  heavyTokens: SeedToken[];
  /** Every token record of the heavy user, to reset it between cascade rounds. */
  heavyRecords: TokenRecord[];
  prepareSeconds: number;
  loadSeconds: number;
  itemsLoaded: number;
}

// Every role here holds events:read, which the benchmark's route (GET /example/events) requires.
const ROLES = ['analyst', 'read_only', 'global_analyst', 'global_read_only'];
/** What seeded tokens carry: a subset of what each role holds. */
export const PERMISSIONS_BY_ROLE: Record<string, string[]> = {
  admin: ['events:read', 'settings:read'],
  analyst: ['events:read', 'events:write'],
  global_analyst: ['events:read', 'rules:read'],
  read_only: ['events:read'],
  global_read_only: ['events:read', 'settings:read'],
};

/** The item putUserIfNewer() writes for a projection. */
export function userItem(user: SeedUser, version: number, status: UserRecord['status'], atIso: string): Record<string, unknown> {
  const ownerRef = ownerRefOf(user.tenantId, user.userId);
  const record: Omit<UserRecord, 'ownerRef'> = {
    tenantId: user.tenantId, userId: user.userId, version, role: user.role, permissions: null,
    status, authMethod: 'password', email: `${user.userId}@bench.example`, updatedAt: atIso,
  };
  return { ...userKeys.primaryByRef(ownerRef), type: 'user', ...record, ownerRef };
}

async function tokenFor(user: SeedUser, createdMs: number, n: number): Promise<{ record: TokenRecord; value: string }> {
  const id = newId('token');
  const value = mintValue(id, user.tenantId, user.userId, { key: (await macKeys('value-tag'))[0], nowMs: createdMs });
  const at = new Date(createdMs).toISOString();
  const record = newToken({
    id, tenantId: user.tenantId, ownerId: user.userId, ownerRef: ownerRefOf(user.tenantId, user.userId),
    name: `bench token ${n}`, description: n % 3 === 0 ? 'seeded by bench/seed.ts' : null, visibility: 'private',
    permissions: PERMISSIONS_BY_ROLE[user.role] as TokenRecord['permissions'],
    createdAt: at, updatedAt: at,
    // A quarter expire in 30..90 days, so the sparse expiry index holds items too.
    expiresAt: n % 4 === 0 ? new Date(Date.now() + (30 + (n % 61)) * 86_400_000).toISOString() : null,
    hint: hintOf(value), hash: hashValue(value), sealed: await seal(value, id),
  });
  return { record, value };
}

/** Writes items 25 to a request, `concurrency` requests in flight, retrying unprocessed items. */
export async function batchWrite(items: Record<string, unknown>[], concurrency = 8): Promise<void> {
  const table = getConfig().tableName;
  let next = 0;
  const worker = async () => {
    for (let start = next; start < items.length; start = next) {
      next += 25;
      let requests = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 10) throw new Error('batch write: items left unprocessed');
        const out = await store().send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
        requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function seedTenant(plan: SeedPlan): Promise<Seeded> {
  const t0 = performance.now();
  const users: SeedUser[] = Array.from({ length: plan.users }, (_, i) => ({
    tenantId: TENANT,
    userId: `user-${String(i).padStart(5, '0')}`,
    role: i === 0 ? 'admin' : ROLES[i % ROLES.length],
  }));
  const [admin, heavy] = users;
  const nowIso = new Date().toISOString();
  const items: Record<string, unknown>[] = users.map((u) => userItem(u, 1, 'active', nowIso));
  const tokens: SeedToken[] = [];
  const heavyTokens: SeedToken[] = [];
  const heavyRecords: TokenRecord[] = [];
  const others = users.filter((u) => u !== heavy);
  const base = Date.now() - 30 * 86_400_000;
  for (let n = 0; n < plan.tokens; n++) {
    const isHeavy = n < plan.heavyTokens;
    const user = isHeavy ? heavy : others[(n - plan.heavyTokens) % others.length];
    const { record, value } = await tokenFor(user, base + n * 10, n);
    items.push(toItem(record));
    (isHeavy ? heavyTokens : tokens).push({ id: record.id, value, userId: user.userId });
    if (isHeavy) heavyRecords.push(record);
  }
  const prepareSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await batchWrite(items);
  const loadSeconds = (performance.now() - t1) / 1000;
  return { users, admin, heavy, tokens, heavyTokens, heavyRecords, prepareSeconds, loadSeconds, itemsLoaded: items.length };
}
