// Legacy UUID markers: a UUID once imported is never imported again (rules.md §6), even after its
// token was deleted by hand or by the week-later TTL deletion. The marker has no TTL.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { tableNeed } from '../grants.ts';
import { ConditionFailed, store, storeCall } from './client.ts';
import { legacyKeys } from './keys.ts';

export type LegacyState = 'imported' | 'revoked';

/** The IAM actions each function of this module sends (shared/grants.ts). */
export const LEGACY_STORE_NEEDS = {
  legacyMarker: [tableNeed('GetItem')],
  markLegacyImported: [tableNeed('PutItem')],
  markLegacyRevoked: [tableNeed('PutItem')],
} as const;

export async function legacyMarker(uuid: string): Promise<LegacyState | undefined> {
  const out = await storeCall(() =>
    store().send(new GetCommand({ TableName: getConfig().tableName, Key: legacyKeys.marker(uuid), ConsistentRead: true })),
  );
  return out.Item?.state as LegacyState | undefined;
}

/** Records an import; never downgrades a revoked UUID. */
export async function markLegacyImported(uuid: string, atIso: string): Promise<void> {
  try {
    await storeCall(() =>
      store().send(
        new PutCommand({
          TableName: getConfig().tableName,
          Item: { ...legacyKeys.marker(uuid), type: 'legacy-marker', uuid, state: 'imported', at: atIso },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  } catch (e) {
    if (!(e instanceof ConditionFailed)) throw e;
  }
}

/** Written before a token that came from a legacy credential is deleted. */
export async function markLegacyRevoked(uuid: string, atIso: string): Promise<void> {
  await storeCall(() =>
    store().send(
      new PutCommand({ TableName: getConfig().tableName, Item: { ...legacyKeys.marker(uuid), type: 'legacy-marker', uuid, state: 'revoked', at: atIso } }),
    ),
  );
}
