// Target of the CloudWatch Logs subscription on the authorizer's log group (infra/tessera-stack.ts;
// locally local/log-subscriptions.ts): counts token usage from the authorizer's lines. A batch
// that is not a subscription delivery is logged and dropped; a store failure is thrown, so the
// delivery is retried.
import { decodeLogsEvent } from '../shared/cloudwatch-logs.ts';
import { getConfig } from '../shared/config.ts';
import { recordUsage } from '../shared/domain/usage.ts';
import { logger } from '../shared/log.ts';

getConfig();

export async function handler(event: unknown) {
  const batch = decodeLogsEvent(event);
  if (!batch) {
    logger.error('not a CloudWatch Logs subscription event; dropped');
    return { tokens: 0, lastUsedWrites: 0, dayWrites: 0 };
  }
  // CloudWatch sends a CONTROL_MESSAGE when the subscription is created, to check the destination.
  if (batch.messageType !== 'DATA_MESSAGE') return { tokens: 0, lastUsedWrites: 0, dayWrites: 0 };
  const report = await recordUsage(batch);
  logger.debug('usage recorded', { logGroup: batch.logGroup, events: batch.logEvents.length, ...report });
  return report;
}
