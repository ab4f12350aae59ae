// Each owner's recently created tokens, one item per owner and UTC day holding a string set of
// token ids. A global secondary index is eventually consistent: a cascade that finds an owner's
// tokens through byOwner alone can miss one created a moment ago. Written before the token and
// read with a strongly consistent GetItem, this item cannot miss it (see README.md, "Owner
// changes and concurrent writes"). It expires three days after its day.
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { tableNeed } from '../grants.ts';
import { store, storeCall } from './client.ts';
import { recentKeys } from './keys.ts';
import { TABLE } from './table.ts';

/** The IAM actions each function of this module sends (shared/grants.ts). */
export const RECENT_STORE_NEEDS = {
  noteRecentToken: [tableNeed('UpdateItem')],
  recentTokenIds: [tableNeed('GetItem')],
} as const;

const DAY_MS = 86_400_000;
/** How long a day's item is kept: far longer than any index takes to show a write. */
const KEEP_DAYS = 3;

/** Adds a token id to its owner's item for the token's creation day (ADD is idempotent). */
export async function noteRecentToken(ownerRef: string, tokenId: string, createdAtIso: string): Promise<void> {
  const dayStart = Date.parse(createdAtIso.slice(0, 10));
  await storeCall(() =>
    store().send(
      new UpdateCommand({
        TableName: getConfig().tableName,
        Key: recentKeys.day(ownerRef, createdAtIso),
        UpdateExpression: 'ADD ids :id SET #type = :type, #ttl = :ttl',
        ExpressionAttributeNames: { '#type': 'type', '#ttl': TABLE.ttlAttribute },
        ExpressionAttributeValues: { ':id': new Set([tokenId]), ':type': 'recent', ':ttl': Math.floor((dayStart + KEEP_DAYS * DAY_MS) / 1000) },
      }),
    ),
  );
}

/**
 * Token ids the owner created yesterday, today or tomorrow (by `atMs`; the neighbours absorb clock
 * differences between functions), read strongly consistently. Some may be deleted or not
 * written yet: the caller reads each token.
 */
export async function recentTokenIds(ownerRef: string, atMs: number): Promise<string[]> {
  const days = [-1, 0, 1].map((d) => new Date(atMs + d * DAY_MS).toISOString());
  const items = await Promise.all(
    days.map((day) =>
      storeCall(() => store().send(new GetCommand({ TableName: getConfig().tableName, Key: recentKeys.day(ownerRef, day), ConsistentRead: true }))),
    ),
  );
  const ids = new Set<string>();
  for (const out of items) for (const id of (out.Item?.ids as Set<string> | undefined) ?? []) ids.add(id);
  return [...ids];
}
