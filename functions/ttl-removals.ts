// The table's stream subscription (filtered to TTL removals of tokens): the week-later deletion
// goes into the activity log.
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { getConfig } from '../shared/config.ts';
import { recordTtlRemovals } from '../shared/domain/removals.ts';
import { logger } from '../shared/log.ts';

getConfig();

export async function handler(event: DynamoDBStreamEvent) {
  const result = await recordTtlRemovals(event.Records ?? []);
  logger.info('ttl removals recorded', result);
  return result;
}
