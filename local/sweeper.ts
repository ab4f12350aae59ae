// Stands in for DynamoDB's TTL process: deletes items whose TTL has passed on the service
// clock. Each delete is conditional on the TTL still being past, so an item changed meanwhile
// (say, re-enabled) survives, as it would in AWS. Like AWS with a stream on the table, every
// deletion yields a stream record (local/streams.ts), which the caller delivers.
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../shared/config.ts';
import { ConditionFailed, store, storeCall } from '../shared/store/client.ts';
import { pages } from '../shared/store/paging.ts';
import { TABLE } from '../shared/store/table.ts';

export async function sweepExpired(onRemoved?: (oldImages: Record<string, unknown>[]) => Promise<void>): Promise<number> {
  const { tableName, clock } = getConfig();
  const now = Math.floor(clock.now() / 1000);
  let deleted = 0;
  const expired = pages((start) =>
    storeCall(() =>
      store().send(
        new ScanCommand({
          TableName: tableName,
          ProjectionExpression: 'pk, sk',
          FilterExpression: '#ttl <= :now',
          ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':now': now },
          ExclusiveStartKey: start,
        }),
      ),
    ),
  );
  for await (const page of expired) {
    const removed: Record<string, unknown>[] = [];
    for (const key of page) {
      try {
        const out = await storeCall(() =>
          store().send(
            new DeleteCommand({
              TableName: tableName,
              Key: { pk: key.pk, sk: key.sk },
              ConditionExpression: '#ttl <= :now',
              ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
              ExpressionAttributeValues: { ':now': now },
              ReturnValues: 'ALL_OLD',
            }),
          ),
        );
        deleted++;
        if (out.Attributes) removed.push(out.Attributes);
      } catch (e) {
        if (!(e instanceof ConditionFailed)) throw e;
      }
    }
    if (removed.length > 0) await onRemoved?.(removed);
  }
  return deleted;
}
