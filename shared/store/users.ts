// User projections: what Tessera knows of each user from the identity system's events.
// Writes are guarded by the event's version, so a stale event changes nothing.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { ownerRefOf } from '../token-value.ts';
import { needs, tableNeed } from '../grants.ts';
import { ConditionFailed, store, storeCall } from './client.ts';
import type { UserRecord } from './items.ts';
import { userKeys } from './keys.ts';
import { readUser } from './reads.ts';
import { sdkReads } from './transport-sdk.ts';

export { fromUserItem, type AuthMethod, type UserRecord, type UserStatus } from './items.ts';

const table = () => getConfig().tableName;

/** The IAM actions each function of this module sends (shared/grants.ts). */
export const USER_STORE_NEEDS = {
  getUser: [tableNeed('GetItem')],
  // Without a stored version in the refusal (dynalite), a refused put re-reads the projection.
  putUserIfNewer: needs([tableNeed('PutItem')], [tableNeed('GetItem')]),
} as const;

export function getUser(tenantId: string, userId: string, consistent = false): Promise<UserRecord | undefined> {
  return readUser(sdkReads, tenantId, userId, consistent);
}

export type ProjectionWrite = 'applied' | 'repeat' | 'stale';

/**
 * Stores the projection if its version is newer than the stored one. An equal version is a
 * repeat (the caller may safely redo its cascade); an older one is stale and ignored.
 * Only applyUserEvent (shared/domain/users.ts) calls it, after announcing the owner on the
 * revocation feed: the authorizer's caches of decisions and of owners' projections rely on that
 * announcement (shared/domain/owner-cache.ts). A new writer must announce first too.
 */
export async function putUserIfNewer(user: Omit<UserRecord, 'ownerRef'>): Promise<ProjectionWrite> {
  const ownerRef = ownerRefOf(user.tenantId, user.userId);
  try {
    await storeCall(() =>
      store().send(
        new PutCommand({
          TableName: table(),
          Item: { ...userKeys.primaryByRef(ownerRef), type: 'user', ...user, ownerRef },
          ConditionExpression: 'attribute_not_exists(pk) OR #version < :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': user.version },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return 'applied';
  } catch (e) {
    if (!(e instanceof ConditionFailed)) throw e;
    // AWS returns the stored item (marshalled) with the failure; dynalite does not.
    const raw = e.item?.version as { N?: string } | number | undefined;
    const stored = typeof raw === 'number' ? raw : raw?.N !== undefined ? Number(raw.N) : undefined;
    if (stored === undefined) {
      const current = await getUser(user.tenantId, user.userId, true);
      return current && current.version === user.version ? 'repeat' : 'stale';
    }
    return stored === user.version ? 'repeat' : 'stale';
  }
}
