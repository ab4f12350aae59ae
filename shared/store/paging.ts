// Reading a partition page by page, and the list pages built from it: one way, for every list.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { store, storeCall } from './client.ts';

type Item = Record<string, unknown>;

/** Every page of a Query or Scan: `read` gets where to start (none first), until the store says the end. */
export async function* pages(read: (start: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>): AsyncGenerator<Item[]> {
  let start: Item | undefined;
  do {
    const out = await read(start);
    yield out.Items ?? [];
    start = out.LastEvaluatedKey;
  } while (start);
}

export interface PartitionQuery {
  /** None: the table itself. */
  indexName?: string;
  partitionKey: string;
  sortKey: string;
  partition: string;
  /** A condition on the sort key, written with `#sk`, and its values. */
  sortCondition?: { expression: string; values: Item };
  newestFirst?: boolean;
  pageSize?: number;
}

/** One partition, page by page. */
export const queryPages = (q: PartitionQuery) =>
  pages((start) =>
    storeCall(() =>
      store().send(
        new QueryCommand({
          TableName: getConfig().tableName,
          IndexName: q.indexName,
          KeyConditionExpression: q.sortCondition ? `#pk = :pk AND ${q.sortCondition.expression}` : '#pk = :pk',
          ExpressionAttributeNames: { '#pk': q.partitionKey, ...(q.sortCondition ? { '#sk': q.sortKey } : {}) },
          ExpressionAttributeValues: { ':pk': q.partition, ...q.sortCondition?.values },
          ScanIndexForward: !q.newestFirst,
          Limit: q.pageSize,
          ExclusiveStartKey: start,
        }),
      ),
    ),
  );

/** Store pages one list request may read: a filter that matches little must not read a whole tenant. */
export const MAX_READS_PER_LIST_PAGE = 20;

/**
 * A list page, newest first, after the sort key `after`: reads until `limit` items pass `keep`
 * (`read` returns undefined for an item to skip, such as one past its TTL), so a page is not
 * short because of filtering; after MAX_READS_PER_LIST_PAGE reads it hands back a short page
 * with `after` at the last item examined.
 */
export async function listPage<T>(
  q: Omit<PartitionQuery, 'sortCondition' | 'newestFirst' | 'pageSize'>,
  page: { limit: number; after?: string },
  read: (item: Item) => T | undefined,
  keep: (record: T) => boolean,
  sortKeyOf: (record: T) => string,
): Promise<{ items: T[]; after?: string }> {
  const items: T[] = [];
  let cursor = page.after;
  let reads = 0;
  const sortCondition = page.after ? { expression: '#sk < :after', values: { ':after': page.after } } : undefined;
  for await (const found of queryPages({ ...q, sortCondition, newestFirst: true, pageSize: Math.max(page.limit + 1, 25) })) {
    for (const item of found) {
      cursor = item[q.sortKey] as string;
      const record = read(item);
      if (record === undefined || !keep(record)) continue;
      if (items.length === page.limit) return { items, after: sortKeyOf(items[page.limit - 1]!) };
      items.push(record);
    }
    if (++reads >= MAX_READS_PER_LIST_PAGE) return { items, after: cursor };
  }
  return { items };
}
