// Token items: one item per token, every write a single-item conditional write.
// The item's index keys and TTL are derived from the record in toItem(), the one place that
// writes them, so no write can leave them stale.
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { needs, queryNeed, tableNeed } from '../grants.ts';
import { ConditionFailed, store, storeCall } from './client.ts';
import { fromItem, isLive, toItem, type TokenRecord, type UserRecord } from './items.ts';
import { tokenKeys } from './keys.ts';
import { listPage, queryPages } from './paging.ts';
import { readToken, readTokens, readTokenWithOwner } from './reads.ts';
import { TABLE } from './table.ts';
import { TOKEN_ATTRIBUTES, TOKEN_INDEX_ATTRIBUTES, TOKEN_INDEXES, type TokenIndex } from './token-entity.ts';
import { sdkReads } from './transport-sdk.ts';

export { fromItem, isLive, toItem, type DisabledReason, type TokenRecord, type Visibility } from './items.ts';

const table = () => getConfig().tableName;
const now = () => getConfig().clock.now();

/** The IAM actions each function of this module sends (shared/grants.ts). */
export const TOKEN_STORE_NEEDS = {
  getToken: [tableNeed('GetItem')],
  getTokenWithOwner: [tableNeed('BatchGetItem')],
  getTokens: [tableNeed('BatchGetItem')],
  insertToken: [tableNeed('PutItem')],
  updateToken: [tableNeed('UpdateItem')],
  deleteToken: [tableNeed('DeleteItem')],
  touchLastUsed: [tableNeed('UpdateItem')],
  listTokens: needs([queryNeed('byOwner')], [queryNeed('byTenant')]),
  allTokensOf: [queryNeed('byOwner')],
  tokensExpiringBetween: [queryNeed('byExpiryDay')],
} as const;

export async function getToken(tokenId: string, consistent = false): Promise<TokenRecord | undefined> {
  return readToken(sdkReads, tokenId, consistent);
}

/** The authorizer's one round trip: the token and its owner's projection together. */
export function getTokenWithOwner(tokenId: string, ownerRef: string, consistent = false): Promise<{ token?: TokenRecord; owner?: UserRecord }> {
  return readTokenWithOwner(sdkReads, tokenId, ownerRef, consistent);
}

/**
 * Many tokens by id, strongly consistent, 100 keys per BatchGetItem (the API's limit); those
 * that do not exist or are past their TTL are left out.
 */
export function getTokens(tokenIds: readonly string[]): Promise<TokenRecord[]> {
  return readTokens(sdkReads, tokenIds, true);
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


export type ListIndex = { index: 'byOwner'; ownerRef: string } | { index: 'byTenant'; tenantId: string };

export interface Page {
  items: TokenRecord[];
  /** createdSk of the last item returned, when more may follow. */
  after?: string;
}

const partitionOf = (index: TokenIndex, partition: string) => ({ indexName: index.name, partitionKey: index.partitionKey, sortKey: index.sortKey, partition });

/**
 * Newest first: a page of `limit` tokens that pass `keep` (the visibility and status filters),
 * TTL-expired ones hidden (shared/store/paging.ts listPage).
 */
export function listTokens(where: ListIndex, limit: number, after: string | undefined, keep: (t: TokenRecord) => boolean): Promise<Page> {
  const partition = where.index === 'byOwner' ? tokenKeys.ownerPk(where.ownerRef) : tokenKeys.tenantPk(where.tenantId);
  const at = now();
  return listPage(
    partitionOf(TOKEN_INDEXES[where.index], partition),
    { limit, after },
    (item) => (isLive(item, at) ? fromItem(item) : undefined),
    keep,
    (t) => tokenKeys.createdSk(t.createdAt, t.id),
  );
}

/** Every token of an owner, private and shared, live or not (cascades). */
export async function* allTokensOf(ownerRef: string): AsyncGenerator<TokenRecord[]> {
  for await (const page of queryPages(partitionOf(TOKEN_INDEXES.byOwner, tokenKeys.ownerPk(ownerRef)))) yield page.map(fromItem);
}

/** Tokens whose expiry falls in [fromIso, toIso), for expiry notices. */
export async function tokensExpiringBetween(fromIso: string, toIso: string): Promise<TokenRecord[]> {
  const days = new Set<string>();
  for (let t = Date.parse(fromIso.slice(0, 10)); t < Date.parse(toIso); t += 86_400_000) days.add(new Date(t).toISOString());
  const found: TokenRecord[] = [];
  const at = now();
  for (const day of days) {
    const sortCondition = { expression: '#sk BETWEEN :from AND :to', values: { ':from': fromIso, ':to': toIso } };
    for await (const page of queryPages({ ...partitionOf(TOKEN_INDEXES.byExpiryDay, tokenKeys.expiryPk(day)), sortCondition })) {
      for (const item of page) if (isLive(item, at)) found.push(fromItem(item));
    }
  }
  return found.filter((t) => t.expiresAt! >= fromIso && t.expiresAt! < toIso);
}
