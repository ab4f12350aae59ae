// Usage counters: one item per token and UTC day, incremented with ADD (a single-item write that
// needs no read and commutes, so concurrent batches never lose a count), kept 90 days through TTL.
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { tableNeed } from '../grants.ts';
import { store, storeCall } from './client.ts';
import { usageKeys } from './keys.ts';
import { TABLE } from './table.ts';

/** Days a counter item is kept after its day ends. */
export const USAGE_RETENTION_DAYS = 90;
const DAY_MS = 86_400_000;

export interface DayCounts {
  verified: number;
  /** Refusals by reason (shared/domain/verify.ts DenyReason). */
  denied: Record<string, number>;
}

const REASON = /^[a-z_]{1,32}$/;
const table = () => getConfig().tableName;

/** The IAM actions each function of this module sends (shared/grants.ts). */
export const USAGE_STORE_NEEDS = { addDayCounts: [tableNeed('UpdateItem')], readDays: [tableNeed('Query')] } as const;

/** Adds one batch's counts to a token's day (yyyy-mm-dd). */
export async function addDayCounts(tokenId: string, day: string, counts: DayCounts): Promise<void> {
  const names: Record<string, string> = { '#ttl': TABLE.ttlAttribute };
  const values: Record<string, unknown> = {
    ':ttl': Math.floor((Date.parse(`${day}T00:00:00.000Z`) + (USAGE_RETENTION_DAYS + 1) * DAY_MS) / 1000),
    ':id': tokenId,
    ':day': day,
  };
  const adds: string[] = [];
  const add = (attribute: string, n: number) => {
    if (n <= 0) return;
    const i = adds.length;
    names[`#c${i}`] = attribute;
    values[`:c${i}`] = n;
    adds.push(`#c${i} :c${i}`);
  };
  const denied = Object.entries(counts.denied).filter(([reason]) => REASON.test(reason));
  add('verified', counts.verified);
  add('denied', denied.reduce((sum, [, n]) => sum + n, 0));
  for (const [reason, n] of denied) add(`denied_${reason}`, n);
  if (adds.length === 0) return;
  await storeCall(() =>
    store().send(
      new UpdateCommand({
        TableName: table(),
        Key: usageKeys.day(tokenId, day),
        UpdateExpression: `SET #ttl = :ttl, tokenId = :id, #day = :day ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: { ...names, '#day': 'day' },
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/** A token's counted days from `from` to `to` (yyyy-mm-dd, inclusive): one Query of one partition. */
export async function readDays(tokenId: string, from: string, to: string): Promise<Map<string, { verified: number; denied: number }>> {
  const days = new Map<string, { verified: number; denied: number }>();
  let start: Record<string, unknown> | undefined;
  const nowSec = getConfig().clock.now() / 1000;
  do {
    const out = await storeCall(() =>
      store().send(
        new QueryCommand({
          TableName: table(),
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': usageKeys.partition(tokenId), ':from': usageKeys.daySk(from), ':to': usageKeys.daySk(to) },
          ExclusiveStartKey: start,
        }),
      ),
    );
    for (const item of out.Items ?? []) {
      // Reads hide what TTL has ended, as everywhere (shared/store/README.md).
      if (typeof item[TABLE.ttlAttribute] === 'number' && (item[TABLE.ttlAttribute] as number) <= nowSec) continue;
      days.set(item.day as string, { verified: Number(item.verified ?? 0), denied: Number(item.denied ?? 0) });
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return days;
}
