// Scheduled hourly: TokenExpiringSoon events, three days ahead (rules.md §5.2).
import { getConfig } from '../shared/config.ts';
import { recordExpiries, sendExpiryNotices } from '../shared/domain/expiry.ts';
import { logger } from '../shared/log.ts';

getConfig();

export async function handler() {
  const result = { ...(await sendExpiryNotices()), ...(await recordExpiries()) };
  logger.info('expiry notices', result);
  return result;
}
