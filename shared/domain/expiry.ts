// TokenExpiringSoon (rules.md §5.2): once per expiry date, for enabled tokens that expire within
// three days. Run by a scheduled rule in AWS (hourly) and by the local runtime's clock; a
// missed run is caught up by the next, and a repeat sends nothing twice.
import { getConfig } from '../config.ts';
import { PUBLISH_NEEDS, publish, tokenEvent } from '../events/publish.ts';
import { needs } from '../grants.ts';
import { ConditionFailed } from '../store/client.ts';
import { TOKEN_STORE_NEEDS, tokensExpiringBetween, updateToken } from '../store/tokens.ts';
import { AUDIT_STORE_NEEDS, auditExists } from '../store/audit.ts';
import { AUDIT_OPERATION_NEEDS, derivedAuditId, recordActivity, systemActor } from './audit.ts';
import { DELETE_AFTER_MS, EXPIRY_NOTICE_MS, statusOf } from '../lifecycle.ts';

/** The calls of each hourly operation (shared/grants.ts). */
export const EXPIRY_OPERATION_NEEDS = {
  sendExpiryNotices: needs(TOKEN_STORE_NEEDS.tokensExpiringBetween, TOKEN_STORE_NEEDS.updateToken, PUBLISH_NEEDS),
  recordExpiries: needs(TOKEN_STORE_NEEDS.tokensExpiringBetween, AUDIT_STORE_NEEDS.auditExists, AUDIT_OPERATION_NEEDS.recordActivity),
} as const;

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
    await publish(tokenEvent('TokenExpiringSoon', token, from, { expiresAt: token.expiresAt }));
    sent++;
  }
  return { sent };
}

/**
 * The activity log's "expired" entries (docs/rules.md §1.13). Expiry is not a write (the status
 * is derived from expiresAt and the clock), so this hourly job records it: every token whose
 * expiry passed while it was enabled, looked up over the last 7 days (a token is deleted 7 days
 * after it expired), with the entry dated at the expiry itself. The entry's id is derived from
 * the token and its expiresAt, so a repeated or overlapping run records nothing twice.
 */
export async function recordExpiries(): Promise<{ recorded: number }> {
  const nowMs = getConfig().clock.now();
  const from = new Date(nowMs - DELETE_AFTER_MS).toISOString();
  const to = new Date(nowMs).toISOString();
  let recorded = 0;
  for (const token of await tokensExpiringBetween(from, to)) {
    const expiresAt = token.expiresAt!;
    if (token.disabledAt && token.disabledAt <= expiresAt) continue; // disabled first: it never expired while enabled
    const id = derivedAuditId(token.id, 'expired', expiresAt);
    if (await auditExists(token.id, expiresAt, id)) continue;
    await recordActivity(token, { action: 'expired', actor: systemActor('expiry'), at: expiresAt, id });
    recorded++;
  }
  return { recorded };
}
