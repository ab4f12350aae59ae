// The table's DynamoDB stream, for the deletions local/sweeper.ts makes in place of the TTL
// process: records in the shape AWS delivers (eventName REMOVE, userIdentity of the service,
// OldImage in DynamoDB JSON, StreamViewType OLD_IMAGE), passed through the same event filter the
// CDK subscription declares (shared/events/rules.ts) to the same handler, in batches of up to
// 100 as an event source mapping sends them. A failing batch is retried, then dropped with an
// error log, as the mapping's bounded retries would send it to its failure destination.
import { createHash } from 'node:crypto';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { marshall } from '@aws-sdk/util-dynamodb';
import { getConfig } from '../shared/config.ts';
import { matches, ttlRemovalPattern } from '../shared/events/rules.ts';
import { logger } from '../shared/log.ts';
import { TABLE } from '../shared/store/table.ts';
import { lambdaContext } from './lambda.ts';

type StreamHandler = (event: DynamoDBStreamEvent, context?: unknown) => Promise<unknown>;

const BATCH_SIZE = 100;
const RETRIES = 2;
let sequence = 10_000_000;

export function ttlRemovalRecord(oldImage: Record<string, unknown>): DynamoDBRecord {
  const { clock, region, tableName } = getConfig();
  const keys = { [TABLE.partitionKey]: oldImage[TABLE.partitionKey], [TABLE.sortKey]: oldImage[TABLE.sortKey] };
  const image = marshall(oldImage, { removeUndefinedValues: true });
  const seq = String(++sequence).padStart(21, '0');
  return {
    eventID: createHash('sha256').update(seq).digest('hex').slice(0, 32),
    eventName: 'REMOVE',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(clock.now() / 1000),
      Keys: marshall(keys) as never,
      OldImage: image as never,
      SequenceNumber: seq,
      SizeBytes: JSON.stringify(image).length,
      StreamViewType: 'OLD_IMAGE',
    },
    userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    eventSourceARN: `arn:aws:dynamodb:${region}:000000000000:table/${tableName}/stream/1970-01-01T00:00:00.000`,
  } as DynamoDBRecord;
}

export function localStream(handler: StreamHandler) {
  return async (oldImages: Record<string, unknown>[]): Promise<void> => {
    const records = oldImages
      .map(ttlRemovalRecord)
      .filter((r) => matches(ttlRemovalPattern, r as unknown as Record<string, unknown>));
    for (let i = 0; i < records.length; i += BATCH_SIZE) {
      const batch = { Records: records.slice(i, i + BATCH_SIZE) };
      for (let attempt = 0; ; attempt++) {
        try {
          await handler(batch, lambdaContext('ttl-removals'));
          break;
        } catch (error) {
          if (attempt >= RETRIES) {
            logger.error('stream batch failed every retry; dropped', { error: error as Error, records: batch.Records.length });
            break;
          }
        }
      }
    }
  };
}
