// User projections: what Tessera knows of each user from the identity system's events.
// Writes are guarded by the event's version, so a stale event changes nothing.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { ownerRefOf } from '../token-value.ts';
import { ConditionFailed, store, storeCall } from './client.ts';
import { userKeys } from './keys.ts';

export type UserStatus = 'active' | 'disabled' | 'deleted';
export type AuthMethod = 'password' | 'sso';

export interface UserRecord {
  tenantId: string;
  userId: string;
  ownerRef: string;
  version: number;
  role: string;
  /** An explicit list replaces the role's set (rules.md §2). */
  permissions: string[] | null;
  status: UserStatus;
  authMethod: AuthMethod;
  email: string | null;
  updatedAt: string;
}

export function fromUserItem(item: Record<string, unknown>): UserRecord {
  return {
    tenantId: item.tenantId as string,
    userId: item.userId as string,
    ownerRef: item.ownerRef as string,
    version: Number(item.version),
    role: item.role as string,
    permissions: (item.permissions as string[] | undefined) ?? null,
    status: item.status as UserStatus,
    authMethod: item.authMethod as AuthMethod,
    email: (item.email as string | undefined) ?? null,
    updatedAt: item.updatedAt as string,
  };
}

const table = () => getConfig().tableName;

export async function getUser(tenantId: string, userId: string, consistent = false): Promise<UserRecord | undefined> {
  const out = await storeCall(() =>
    store().send(new GetCommand({ TableName: table(), Key: userKeys.primary(tenantId, userId), ConsistentRead: consistent })),
  );
  if (!out.Item) return undefined;
  const user = fromUserItem(out.Item);
  // The owner ref is a hash; a collision must never let one user stand for another.
  return user.tenantId === tenantId && user.userId === userId ? user : undefined;
}

export type ProjectionWrite = 'applied' | 'repeat' | 'stale';

/**
 * Stores the projection if its version is newer than the stored one. An equal version is a
 * repeat (the caller may safely redo its cascade); an older one is stale and ignored.
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
