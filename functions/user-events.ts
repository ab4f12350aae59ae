// Target of the EventBridge rule for UserChanged and UserDeleted (rules.md §5). An invalid event
// is logged and thrown: Lambda's async retries then hand it to the dead-letter queue, and
// nothing was changed.
import type { EventBridgeEvent } from 'aws-lambda';
import { getConfig } from '../shared/config.ts';
import { applyUserEvent, parseUserEvent } from '../shared/domain/users.ts';
import { AppError } from '../shared/errors.ts';
import { logger } from '../shared/log.ts';

getConfig();

export async function handler(event: EventBridgeEvent<string, unknown>) {
  let parsed;
  try {
    parsed = parseUserEvent(event['detail-type'], event.detail);
  } catch (error) {
    logger.error('invalid user event; it goes to the dead-letter queue', {
      id: event.id,
      detailType: event['detail-type'],
      problems: error instanceof AppError ? error.details?.fields : undefined,
    });
    throw error;
  }
  const report = await applyUserEvent(parsed);
  logger.info('user event applied', { id: event.id, detailType: parsed.detailType, version: parsed.detail.version, ...report });
  return report;
}
