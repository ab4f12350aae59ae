// The week-later deletion in the activity log (docs/rules.md §1.5, §1.13). DynamoDB's TTL process
// deletes the token item, not Tessera, so the deletion is recorded the way AWS reports it: a
// stream record of a REMOVE made by the service (userIdentity dynamodb.amazonaws.com), with the
// item as it was. In AWS the table's stream delivers these; locally the sweeper emits the same
// records to the same handler.
import type { DynamoDBRecord } from 'aws-lambda';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { getConfig } from '../config.ts';
import { AUDIT_STORE_NEEDS, putAudit } from '../store/audit.ts';
import { fromItem } from '../store/items.ts';
import { derivedAuditId, entryFor, systemActor } from './audit.ts';

export const isTtlRemoval = (r: DynamoDBRecord) =>
  r.eventName === 'REMOVE' && r.userIdentity?.type === 'Service' && r.userIdentity?.principalId === 'dynamodb.amazonaws.com';

/**
 * One entry per removed token, dated when DynamoDB removed it. A redelivered record writes the
 * same entry again, which changes nothing; a store failure throws, so the stream retries.
 */
/** recordTtlRemovals' store calls (shared/grants.ts). */
export const TTL_REMOVAL_NEEDS = AUDIT_STORE_NEEDS.putAudit;

export async function recordTtlRemovals(records: readonly DynamoDBRecord[]): Promise<{ recorded: number; ignored: number }> {
  let recorded = 0;
  let ignored = 0;
  for (const r of records) {
    const image = r.dynamodb?.OldImage;
    const item = isTtlRemoval(r) && image ? unmarshall(image as Record<string, AttributeValue>) : undefined;
    if (!item || item.type !== 'token') {
      ignored++;
      continue;
    }
    const token = fromItem(item);
    const at = new Date(r.dynamodb?.ApproximateCreationDateTime ? r.dynamodb.ApproximateCreationDateTime * 1000 : getConfig().clock.now()).toISOString();
    const id = derivedAuditId(token.id, 'deleted', 'ttl');
    if ((await putAudit(entryFor(token, { action: 'deleted', actor: systemActor('week_later_deletion'), at, id }))) === 'written') recorded++;
  }
  return { recorded, ignored };
}
