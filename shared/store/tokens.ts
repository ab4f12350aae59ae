// Token items: one item per token, every write a single-item conditional write.
// The item's index keys and TTL are derived from the record in toItem(), the one place that
// writes them, so no write can leave them stale.
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Permission } from '../catalog.ts';
import { getConfig } from '../config.ts';
import { UnavailableError } from '../errors.ts';
import { ttlOf } from '../domain/lifecycle.ts';
import { ConditionFailed, store, storeCall } from './client.ts';
import { tokenKeys, userKeys } from './keys.ts';
import { TABLE } from './table.ts';
import { fromUserItem, type UserRecord } from './users.ts';

export type Visibility = 'private' | 'shared';
export type DisabledReason = 'manual' | 'owner_disabled' | 'owner_sso' | 'owner_deleted' | 'permissions_revoked' | 'leaked';

export interface TokenRecord {
  id: string;
  tenantId: string;
  ownerId: string;
  ownerRef: string;
  name: string;
  description: string | null;
  visibility: Visibility;
  legacy: boolean;
  /** null for a legacy token: its permissions are its owner's current ones. */
  permissions: Permission[] | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  disabledAt: string | null;
  disabledReason: DisabledReason | null;
  lastUsedAt: string | null;
  hint: string;
  /** SHA-256 of the current value; null for a legacy token that was never renewed. */
  hash: string | null;
  /** The value before the last renew, valid until prevHashUntil (the grace period). */
  prevHash: string | null;
  prevHashUntil: string | null;
  /** The value, sealed with AES-256-GCM (shared/crypto/vault.ts); null for legacy tokens. */
  sealed: string | null;
  legacyUuid: string | null;
  legacySecretSha256: string | null;
  /** Optimistic-concurrency version: every management write expects the version it read. */
  version: number;
  /** The expiresAt for which a TokenExpiringSoon event went out, so it goes out once. */
  expiryNoticeFor: string | null;
  /** Source networks the token may be used from (canonical CIDR blocks); null: anywhere. */
  allowedCidrs: string[] | null;
}

const NULLABLE: (keyof TokenRecord)[] = [
  'description', 'permissions', 'expiresAt', 'disabledAt', 'disabledReason', 'lastUsedAt', 'hash', 'prevHash',
  'prevHashUntil', 'sealed', 'legacyUuid', 'legacySecretSha256', 'expiryNoticeFor', 'allowedCidrs',
];

type Item = Record<string, unknown>;

export function toItem(record: TokenRecord): Item {
  const item: Item = {
    ...tokenKeys.primary(record.id),
    type: 'token',
    ownerPk: tokenKeys.ownerPk(record.ownerRef),
    tenantPk: tokenKeys.tenantPk(record.tenantId),
    createdSk: tokenKeys.createdSk(record.createdAt, record.id),
  };
  for (const [k, v] of Object.entries(record)) if (v !== null && v !== undefined) item[k] = v;
  if (record.expiresAt) {
    item.expiryPk = tokenKeys.expiryPk(record.expiresAt);
    item.expirySk = tokenKeys.expirySk(record.expiresAt, record.id);
  }
  const ttl = ttlOf(record);
  if (ttl !== null) item[TABLE.ttlAttribute] = ttl;
  return item;
}

export function fromItem(item: Item): TokenRecord {
  const record = {} as Record<string, unknown>;
  for (const key of NULLABLE) record[key] = item[key] ?? null;
  for (const key of ['id', 'tenantId', 'ownerId', 'ownerRef', 'name', 'visibility', 'createdAt', 'updatedAt', 'hint'] as const) {
    record[key] = item[key];
  }
  record.legacy = item.legacy === true;
  record.version = Number(item.version ?? 0);
  return record as unknown as TokenRecord;
}

/** Reads never show an item past its TTL, even before the store has removed it (rules.md §1.5). */
export function isLive(item: Item | undefined, nowMs: number): item is Item {
  if (!item) return false;
  const ttl = item[TABLE.ttlAttribute];
  return typeof ttl !== 'number' || ttl * 1000 > nowMs;
}

const table = () => getConfig().tableName;
const now = () => getConfig().clock.now();

export async function getToken(tokenId: string, consistent = false): Promise<TokenRecord | undefined> {
  const out = await storeCall(() =>
    store().send(new GetCommand({ TableName: table(), Key: tokenKeys.primary(tokenId), ConsistentRead: consistent })),
  );
  return isLive(out.Item, now()) ? fromItem(out.Item) : undefined;
}

/** The authorizer's one round trip: the token and its owner's projection together. */
export async function getTokenWithOwner(
  tokenId: string,
  ownerRef: string,
  consistent = false,
): Promise<{ token?: TokenRecord; owner?: UserRecord }> {
  const tokenKey = tokenKeys.primary(tokenId);
  const ownerKey = userKeys.primaryByRef(ownerRef);
  let keys: Item[] = [tokenKey, ownerKey];
  const found: Item[] = [];
  for (let attempt = 0; keys.length > 0 && attempt < 4; attempt++) {
    const out = await storeCall(() => store().send(new BatchGetCommand({ RequestItems: { [table()]: { Keys: keys, ConsistentRead: consistent } } })));
    found.push(...(out.Responses?.[table()] ?? []));
    keys = (out.UnprocessedKeys?.[table()]?.Keys as Item[] | undefined) ?? [];
  }
  if (keys.length > 0) throw new UnavailableError();
  const t = found.find((i) => i.pk === tokenKey.pk);
  const o = found.find((i) => i.pk === ownerKey.pk);
  const at = now();
  return { token: isLive(t, at) ? fromItem(t) : undefined, owner: o ? fromUserItem(o) : undefined };
}

/** Creates a token; fails with ConditionFailed if the id is taken (legacy import relies on it). */
export async function insertToken(record: TokenRecord): Promise<void> {
  await storeCall(() =>
    store().send(
      new PutCommand({ TableName: table(), Item: toItem(record), ConditionExpression: 'attribute_not_exists(pk)' }),
    ),
  );
}

/**
 * Writes a changed record if nobody else wrote since `expectedVersion` was read. lastUsedAt is
 * left alone: the authorizer owns it. Throws ConditionFailed on a lost race.
 */
export async function updateToken(record: TokenRecord, expectedVersion: number): Promise<TokenRecord> {
  const next = { ...record, version: expectedVersion + 1 };
  const item = toItem(next);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':expected': expectedVersion };
  const sets: string[] = [];
  const removes: string[] = [];
  const writable = [...new Set([...Object.keys(item), ...NULLABLE, 'expiryPk', 'expirySk', TABLE.ttlAttribute])].filter(
    (k) => k !== 'pk' && k !== 'sk' && k !== 'lastUsedAt',
  );
  writable.forEach((k, i) => {
    names[`#a${i}`] = k;
    if (item[k] === undefined) removes.push(`#a${i}`);
    else {
      sets.push(`#a${i} = :v${i}`);
      values[`:v${i}`] = item[k];
    }
  });
  names['#version'] = 'version';
  await storeCall(() =>
    store().send(
      new UpdateCommand({
        TableName: table(),
        Key: tokenKeys.primary(record.id),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
  return { ...next, lastUsedAt: record.lastUsedAt };
}

export async function deleteToken(tokenId: string, expectedVersion: number): Promise<void> {
  await storeCall(() =>
    store().send(
      new DeleteCommand({
        TableName: table(),
        Key: tokenKeys.primary(tokenId),
        ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': expectedVersion },
      }),
    ),
  );
}

/** Records use at most once per `minIntervalMs` per token, without touching the version. */
export async function touchLastUsed(tokenId: string, atMs: number, minIntervalMs: number): Promise<boolean> {
  try {
    await storeCall(() =>
      store().send(
        new UpdateCommand({
          TableName: table(),
          Key: tokenKeys.primary(tokenId),
          UpdateExpression: 'SET lastUsedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :cutoff)',
          ExpressionAttributeValues: { ':now': new Date(atMs).toISOString(), ':cutoff': new Date(atMs - minIntervalMs).toISOString() },
        }),
      ),
    );
    return true;
  } catch (e) {
    if (e instanceof ConditionFailed) return false;
    throw e;
  }
}

/** Index pages one list request may read (each up to max(limit + 1, 25) items). */
const MAX_READS_PER_PAGE = 20;

export type ListIndex = { index: 'byOwner'; ownerRef: string } | { index: 'byTenant'; tenantId: string };

export interface Page {
  items: TokenRecord[];
  /** createdSk of the last item returned, when more may follow. */
  after?: string;
}

/**
 * Newest first. Keeps reading index pages until `limit` items pass `keep` (which applies the
 * visibility and status filters, and hides TTL-expired items), so a page is never short
 * because of filtering.
 */
export async function listTokens(
  where: ListIndex,
  limit: number,
  after: string | undefined,
  keep: (t: TokenRecord) => boolean,
): Promise<Page> {
  const pkName = where.index === 'byOwner' ? 'ownerPk' : 'tenantPk';
  const pkValue = where.index === 'byOwner' ? tokenKeys.ownerPk(where.ownerRef) : tokenKeys.tenantPk(where.tenantId);
  const items: TokenRecord[] = [];
  let cursor = after;
  let reads = 0;
  const at = now();
  for (;;) {
    const out = await storeCall(() =>
      store().send(
        new QueryCommand({
          TableName: table(),
          IndexName: where.index,
          KeyConditionExpression: cursor ? '#pk = :pk AND createdSk < :after' : '#pk = :pk',
          ExpressionAttributeNames: { '#pk': pkName },
          ExpressionAttributeValues: cursor ? { ':pk': pkValue, ':after': cursor } : { ':pk': pkValue },
          ScanIndexForward: false,
          Limit: Math.max(limit + 1, 25),
        }),
      ),
    );
    const raw = out.Items ?? [];
    for (const item of raw) {
      cursor = item.createdSk as string;
      if (!isLive(item, at)) continue;
      const record = fromItem(item);
      if (!keep(record)) continue;
      if (items.length === limit) {
        const last = items[limit - 1];
        return { items, after: tokenKeys.createdSk(last.createdAt, last.id) };
      }
      items.push(record);
    }
    if (!out.LastEvaluatedKey) return { items };
    // A filter that matches little must not read a whole tenant in one request: hand back a
    // short page and a cursor at the last item examined.
    if (++reads >= MAX_READS_PER_PAGE) return { items, after: cursor };
  }
}

/** Every token of an owner, private and shared, live or not (cascades). */
export async function* allTokensOf(ownerRef: string): AsyncGenerator<TokenRecord[]> {
  let start: Record<string, unknown> | undefined;
  do {
    const out = await storeCall(() =>
      store().send(
        new QueryCommand({
          TableName: table(),
          IndexName: 'byOwner',
          KeyConditionExpression: 'ownerPk = :pk',
          ExpressionAttributeValues: { ':pk': tokenKeys.ownerPk(ownerRef) },
          ExclusiveStartKey: start,
        }),
      ),
    );
    yield (out.Items ?? []).map(fromItem);
    start = out.LastEvaluatedKey;
  } while (start);
}

/** Tokens whose expiry falls in [fromIso, toIso), for expiry notices. */
export async function tokensExpiringBetween(fromIso: string, toIso: string): Promise<TokenRecord[]> {
  const days = new Set<string>();
  for (let t = Date.parse(fromIso.slice(0, 10)); t < Date.parse(toIso); t += 86_400_000) days.add(new Date(t).toISOString());
  const found: TokenRecord[] = [];
  const at = now();
  for (const day of days) {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await storeCall(() =>
        store().send(
          new QueryCommand({
            TableName: table(),
            IndexName: 'byExpiryDay',
            KeyConditionExpression: 'expiryPk = :pk AND expirySk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': tokenKeys.expiryPk(day), ':from': fromIso, ':to': toIso },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of out.Items ?? []) if (isLive(item, at)) found.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start);
  }
  return found.filter((t) => t.expiresAt! >= fromIso && t.expiresAt! < toIso);
}
