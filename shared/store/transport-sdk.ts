// The reads of shared/store/reads.ts through the SDK's document client (shared/store/client.ts):
// what the management functions use.
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { store, storeCall } from './client.ts';
import type { Item, StoreReads } from './reads.ts';

const table = () => getConfig().tableName;

export const sdkReads: StoreReads = {
  async batchGet(keys, consistent) {
    const out = await storeCall(() => store().send(new BatchGetCommand({ RequestItems: { [table()]: { Keys: keys, ConsistentRead: consistent } } })));
    return { items: out.Responses?.[table()] ?? [], unprocessed: (out.UnprocessedKeys?.[table()]?.Keys as Item[] | undefined) ?? [] };
  },
  async get(key, consistent) {
    const out = await storeCall(() => store().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: consistent })));
    return out.Item;
  },
  async query(q) {
    const out = await storeCall(() =>
      store().send(
        new QueryCommand({
          TableName: table(),
          KeyConditionExpression: q.keyCondition,
          ExpressionAttributeValues: q.values,
          ConsistentRead: q.consistent,
          ExclusiveStartKey: q.start,
        }),
      ),
    );
    return { items: out.Items ?? [], last: out.LastEvaluatedKey };
  },
};
