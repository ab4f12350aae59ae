// Stands in for DynamoDB's TTL process: deletes items whose TTL has passed on the service
// clock. Each delete is conditional on the TTL still being past, so an item changed meanwhile
// (say, re-enabled) survives, as it would in AWS.
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../shared/config.ts';
import { ConditionFailed, store, storeCall } from '../shared/store/client.ts';
import { TABLE } from '../shared/store/table.ts';

export async function sweepExpired(): Promise<number> {
  const { tableName, clock } = getConfig();
  const now = Math.floor(clock.now() / 1000);
  let deleted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await storeCall(() =>
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
    );
    for (const key of page.Items ?? []) {
      try {
        await storeCall(() =>
          store().send(
            new DeleteCommand({
              TableName: tableName,
              Key: { pk: key.pk, sk: key.sk },
              ConditionExpression: '#ttl <= :now',
              ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
              ExpressionAttributeValues: { ':now': now },
            }),
          ),
        );
        deleted++;
      } catch (e) {
        if (!(e instanceof ConditionFailed)) throw e;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return deleted;
}
