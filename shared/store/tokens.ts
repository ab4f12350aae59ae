// Token items: one item per token, every write a single-item conditional write.
// The item's index keys and TTL are derived from the record in toItem(), the one place that
// writes them, so no write can leave them stale.
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { ConditionFailed, pages, store, storeCall } from './client.ts';
import { fromItem, isLive, toItem, type TokenRecord, type UserRecord } from './items.ts';
import { tokenKeys } from './keys.ts';
import { readToken, readTokenWithOwner } from './reads.ts';
import { TABLE } from './table.ts';
import { TOKEN_ATTRIBUTES, TOKEN_INDEX_ATTRIBUTES, TOKEN_INDEXES, type TokenIndex } from './token-entity.ts';
import { sdkReads } from './transport-sdk.ts';

export { fromItem, isLive, toItem, type DisabledReason, type TokenRecord, type Visibility } from './items.ts';

type Item = Record<string, unknown>;

const table = () => getConfig().tableName;
const now = () => getConfig().clock.now();

export async function getToken(tokenId: string, consistent = false): Promise<TokenRecord | undefined> {
  return readToken(sdkReads, tokenId, consistent);
}

/** The authorizer's one round trip: the token and its owner's projection together. */
export function getTokenWithOwner(tokenId: string, ownerRef: string, consistent = false): Promise<{ token?: TokenRecord; owner?: UserRecord }> {
  return readTokenWithOwner(sdkReads, tokenId, ownerRef, consistent);
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
  // Every attribute the entity declares, and every derived key: those absent now are removed.
  const writable = [...new Set([...Object.keys(item), ...Object.keys(TOKEN_ATTRIBUTES), ...TOKEN_INDEX_ATTRIBUTES, TABLE.ttlAttribute])].filter(
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

interface IndexQuery {
  index: TokenIndex;
  partition: string;
  /** A condition on the index's sort key, written with `#sk`, and its values. */
  sortKey?: { condition: string; values: Item };
  newestFirst?: boolean;
  pageSize?: number;
}

/** One partition of an index, page by page. */
const queryPages = (q: IndexQuery) =>
  pages((start) =>
    storeCall(() =>
      store().send(
        new QueryCommand({
          TableName: table(),
          IndexName: q.index.name,
          KeyConditionExpression: q.sortKey ? `#pk = :pk AND ${q.sortKey.condition}` : '#pk = :pk',
          ExpressionAttributeNames: { '#pk': q.index.partitionKey, ...(q.sortKey ? { '#sk': q.index.sortKey } : {}) },
          ExpressionAttributeValues: { ':pk': q.partition, ...q.sortKey?.values },
          ScanIndexForward: !q.newestFirst,
          Limit: q.pageSize,
          ExclusiveStartKey: start,
        }),
      ),
    ),
  );

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
  const index = TOKEN_INDEXES[where.index];
  const partition = where.index === 'byOwner' ? tokenKeys.ownerPk(where.ownerRef) : tokenKeys.tenantPk(where.tenantId);
  const items: TokenRecord[] = [];
  let cursor = after;
  let reads = 0;
  const at = now();
  const sortKey = after ? { condition: '#sk < :after', values: { ':after': after } } : undefined;
  for await (const page of queryPages({ index, partition, sortKey, newestFirst: true, pageSize: Math.max(limit + 1, 25) })) {
    for (const item of page) {
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
    // A filter that matches little must not read a whole tenant in one request: hand back a
    // short page and a cursor at the last item examined.
    if (++reads >= MAX_READS_PER_PAGE) return { items, after: cursor };
  }
  return { items };
}

/** Every token of an owner, private and shared, live or not (cascades). */
export async function* allTokensOf(ownerRef: string): AsyncGenerator<TokenRecord[]> {
  for await (const page of queryPages({ index: TOKEN_INDEXES.byOwner, partition: tokenKeys.ownerPk(ownerRef) })) yield page.map(fromItem);
}

/** Tokens whose expiry falls in [fromIso, toIso), for expiry notices. */
export async function tokensExpiringBetween(fromIso: string, toIso: string): Promise<TokenRecord[]> {
  const days = new Set<string>();
  for (let t = Date.parse(fromIso.slice(0, 10)); t < Date.parse(toIso); t += 86_400_000) days.add(new Date(t).toISOString());
  const found: TokenRecord[] = [];
  const at = now();
  for (const day of days) {
    const sortKey = { condition: '#sk BETWEEN :from AND :to', values: { ':from': fromIso, ':to': toIso } };
    for await (const page of queryPages({ index: TOKEN_INDEXES.byExpiryDay, partition: tokenKeys.expiryPk(day), sortKey })) {
      for (const item of page) if (isLive(item, at)) found.push(fromItem(item));
    }
  }
  return found.filter((t) => t.expiresAt! >= fromIso && t.expiresAt! < toIso);
}
