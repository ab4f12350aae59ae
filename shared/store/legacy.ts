// Revoked legacy UUIDs: written before a token that came from a legacy credential is deleted,
// read by the import, so deleting such a token is final even if an operator re-runs an import.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { store, storeCall } from './client.ts';
import { legacyKeys } from './keys.ts';

export async function markLegacyRevoked(uuid: string, atIso: string): Promise<void> {
  await storeCall(() =>
    store().send(new PutCommand({ TableName: getConfig().tableName, Item: { ...legacyKeys.revoked(uuid), type: 'legacy-revoked', uuid, at: atIso } })),
  );
}

export async function isLegacyRevoked(uuid: string): Promise<boolean> {
  const out = await storeCall(() =>
    store().send(new GetCommand({ TableName: getConfig().tableName, Key: legacyKeys.revoked(uuid), ConsistentRead: true })),
  );
  return Boolean(out.Item);
}
