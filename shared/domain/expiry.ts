// TokenExpiringSoon (rules.md §5.2): once per expiry date, for enabled tokens that expire within
// three days. Run by a scheduled rule in AWS (hourly) and by the local runtime's clock; a
// missed run is caught up by the next, and a repeat sends nothing twice.
import { getConfig } from '../config.ts';
import { publish } from '../events/publish.ts';
import { ConditionFailed } from '../store/client.ts';
import { tokensExpiringBetween, updateToken } from '../store/tokens.ts';
import { EXPIRY_NOTICE_MS, statusOf } from './lifecycle.ts';

export async function sendExpiryNotices(): Promise<{ sent: number }> {
  const nowMs = getConfig().clock.now();
  const from = new Date(nowMs).toISOString();
  const to = new Date(nowMs + EXPIRY_NOTICE_MS).toISOString();
  let sent = 0;
  for (const token of await tokensExpiringBetween(from, to)) {
    if (statusOf(token, nowMs) !== 'enabled' || token.expiryNoticeFor === token.expiresAt) continue;
    try {
      await updateToken({ ...token, expiryNoticeFor: token.expiresAt }, token.version);
    } catch (e) {
      if (e instanceof ConditionFailed) continue; // changed meanwhile; the next run looks again
      throw e;
    }
    await publish({
      detailType: 'TokenExpiringSoon',
      detail: {
        tenantId: token.tenantId, tokenId: token.id, ownerId: token.ownerId, name: token.name,
        visibility: token.visibility, at: from, expiresAt: token.expiresAt,
      },
    });
    sent++;
  }
  return { sent };
}
