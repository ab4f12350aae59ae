// Leaked-token reports (docs/rules.md §1.15): GitHub's secret-scanning partner endpoint. A report
// is believed only when its signature verifies over the raw body; then every reported value that
// is an active Tessera token is disabled at once (disabledReason leaked), recorded in the activity
// log with the URL where it was found, and announced to its owner by a TokenLeaked event. The
// answer labels each value by its SHA-256 and never echoes it.
import { createHash } from 'node:crypto';
import { getConfig } from '../config.ts';
import { ConflictError, UnauthenticatedError } from '../errors.ts';
import { reportSignedBy } from '../crypto/leak-keys.ts';
import { PUBLISH_NEEDS, publish, tokenEvent } from '../events/publish.ts';
import { needs } from '../grants.ts';
import { validate } from '../http/middleware.ts';
import { LeakReport, type LeakReportInput } from '../http/schemas.ts';
import { retryOnConflict } from '../store/client.ts';
import { announceRevocations, REVOCATION_STORE_NEEDS } from '../store/revocations.ts';
import { getToken, TOKEN_STORE_NEEDS, updateToken, type TokenRecord } from '../store/tokens.ts';
import { hashesEqual, hashValue, parseValue } from '../token-value.ts';
import { ValidationError } from '../errors.ts';
import { AUDIT_OPERATION_NEEDS, recordActivity, systemActor } from './audit.ts';
import { statusOf } from '../lifecycle.ts';

export type LeakLabel = 'true_positive' | 'false_positive';

export interface LeakVerdict {
  token_hash: string;
  token_type: string;
  label: LeakLabel;
}

const MAX_ATTEMPTS = 5;

/** The signature first (401, nothing read), then the payload (400, nothing changed), then each value. */
/** handleLeakReport's store and bus calls (shared/grants.ts). */
export const LEAK_REPORT_NEEDS = needs(
  TOKEN_STORE_NEEDS.getToken, TOKEN_STORE_NEEDS.updateToken, REVOCATION_STORE_NEEDS.announceRevocations, PUBLISH_NEEDS, AUDIT_OPERATION_NEEDS.recordActivity,
);

export async function handleLeakReport(body: Buffer, headers: Record<string, string | undefined>): Promise<LeakVerdict[]> {
  const signed = await reportSignedBy(body, headers['github-public-key-identifier'], headers['github-public-key-signature']);
  if (!signed) throw new UnauthenticatedError('The report is not signed by a known secret-scanning key.');
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationError('The body is not valid JSON.');
  }
  const report: LeakReportInput = validate(LeakReport, json, 'body');
  const verdicts: LeakVerdict[] = [];
  for (const entry of report) {
    const leaked = await revokeLeaked(entry);
    verdicts.push({ token_hash: createHash('sha256').update(entry.token).digest('hex'), token_type: entry.type, label: leaked ? 'true_positive' : 'false_positive' });
  }
  return verdicts;
}

/** Whether the value is one of this token's (the current one, or the one still in its grace period). */
function valueOf(token: TokenRecord, value: string, nowMs: number): boolean {
  const hash = hashValue(value);
  if (hashesEqual(hash, token.hash ?? undefined)) return true;
  return token.prevHashUntil !== null && Date.parse(token.prevHashUntil) > nowMs && hashesEqual(hash, token.prevHash ?? undefined);
}

/**
 * Disables the token the value belongs to when it is active. A value already reported (the token
 * disabled as leaked) is still a true positive and changes nothing more, so a replayed report
 * gets the same answer and writes nothing.
 */
async function revokeLeaked(entry: LeakReportInput[number]): Promise<boolean> {
  const parsed = parseValue(entry.token);
  if (!parsed) return false;
  const revoked = await retryOnConflict(
    MAX_ATTEMPTS,
    async () => {
      const nowMs = getConfig().clock.now();
      const token = await getToken(parsed.tokenId, true);
      if (!token || token.ownerRef !== parsed.ownerRef || !valueOf(token, entry.token, nowMs)) return false;
      if (token.disabledReason === 'leaked' && token.disabledAt) return true;
      if (statusOf(token, nowMs) !== 'enabled') return false;
      const at = new Date(nowMs).toISOString();
      // Refused by every authorizer within 2 s (rules.md §1.6): announced before the write.
      await announceRevocations([{ kind: 'token', id: token.id }]);
      return { saved: await updateToken({ ...token, disabledAt: at, disabledReason: 'leaked', updatedAt: at }, token.version), at };
    },
    () => new ConflictError('The token changed concurrently; retry the report.'),
  );
  if (typeof revoked === 'boolean') return revoked;
  const { saved, at } = revoked;
  await recordActivity(saved, { action: 'disabled', actor: systemActor('leak_report'), reason: 'leaked', url: entry.url, at });
  await publish(
    tokenEvent('TokenDisabled', saved, at, { reason: 'leaked' }),
    tokenEvent('TokenLeaked', saved, at, { url: entry.url, source: entry.source }),
  );
  return true;
}
