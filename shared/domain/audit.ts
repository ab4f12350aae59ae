// The activity log (docs/rules.md §1.13): every change to a token, with who made it. Entries are
// written after the change they describe has been stored, one PutItem each; reading follows the
// walls of the token routes: administrators read their tenant's log, others the entries of
// their own tokens, and nothing crosses a tenant.
import { createHash } from 'node:crypto';
import { serviceNowIso } from '../config.ts';
import { CURSOR_NEEDS, decodeCursor, encodeCursor } from '../http/cursor.ts';
import { needs } from '../grants.ts';
import type { AuditQueryInput, AuditEntryJsonShape } from '../http/schemas.ts';
import { ID_BYTES, idFromBytes, newId } from '../ids.ts';
import { logger } from '../log.ts';
import { count } from '../metrics.ts';
import { AUDIT_SK_PATTERN } from '../store/keys.ts';
import { AUDIT_STORE_NEEDS, listAudit as storeList, putAudit, type AuditAction, type AuditActor, type AuditRecord } from '../store/audit.ts';
import type { TokenRecord } from '../store/tokens.ts';
import { ownerRefOf } from '../token-value.ts';
import type { Actor } from './actor.ts';

/** The store calls of each operation (shared/grants.ts). */
export const AUDIT_OPERATION_NEEDS = {
  recordActivity: AUDIT_STORE_NEEDS.putAudit,
  listActivity: needs(AUDIT_STORE_NEEDS.listAudit, CURSOR_NEEDS.decodeCursor, CURSOR_NEEDS.encodeCursor),
} as const;

export type { AuditAction, AuditActor };

export const userActor = (actor: Pick<Actor, 'userId'>): AuditActor => ({ type: 'user', userId: actor.userId });
export const systemActor = (reason: string): AuditActor => ({ type: 'system', reason });

/** The fields an update may change; an entry names those that did, never their values. */
const TRACKED = ['name', 'description', 'permissions', 'expiresAt', 'allowedCidrs'] as const;

export function changedFields(before: Partial<TokenRecord>, after: Partial<TokenRecord>): string[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return TRACKED.filter((f) => !same((before as Record<string, unknown>)[f], (after as Record<string, unknown>)[f]));
}

/** An id derived from what the entry records, for entries a job may write more than once. */
export const derivedAuditId = (...parts: string[]) =>
  idFromBytes('audit', createHash('sha256').update(parts.join('\u0000')).digest().subarray(0, ID_BYTES));

export interface EntryInput {
  action: AuditAction;
  actor: AuditActor;
  changes?: string[];
  reason?: string | null;
  url?: string | null;
  /** Defaults to now on the service clock. */
  at?: string;
  /** Defaults to a fresh id; jobs that may repeat pass a derived one. */
  id?: string;
}

export function entryFor(token: Pick<TokenRecord, 'id' | 'name' | 'tenantId' | 'ownerId' | 'ownerRef'>, input: EntryInput): AuditRecord {
  return {
    id: input.id ?? newId('audit'),
    at: input.at ?? serviceNowIso(),
    action: input.action,
    tenantId: token.tenantId,
    tokenId: token.id,
    tokenName: token.name,
    ownerId: token.ownerId,
    ownerRef: token.ownerRef,
    actor: input.actor,
    changes: input.changes && input.changes.length > 0 ? input.changes : null,
    reason: input.reason ?? null,
    url: input.url ?? null,
  };
}

/**
 * Records entries for a change that has already been stored. The change stands whatever happens
 * here, so a store failure does not turn it into an error for the caller: it is logged at ERROR
 * with the entry (never a value) and counted as the AuditWriteFailed metric.
 */
export async function recordActivity(
  token: Pick<TokenRecord, 'id' | 'name' | 'tenantId' | 'ownerId' | 'ownerRef'>,
  ...inputs: EntryInput[]
): Promise<void> {
  for (const input of inputs) {
    const entry = entryFor(token, input);
    try {
      await putAudit(entry);
    } catch (error) {
      count('AuditWriteFailed');
      logger.error('activity entry not recorded', { entry, error: error as Error });
    }
  }
}

// ---- reading ----------------------------------------------------------------------------------

export function toAuditJson(r: AuditRecord): AuditEntryJsonShape {
  return {
    id: r.id,
    at: r.at,
    action: r.action,
    tokenId: r.tokenId,
    tokenName: r.tokenName,
    actor: r.actor,
    ...(r.changes ? { changes: r.changes } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.url ? { url: r.url } : {}),
  };
}

export async function listActivity(actor: Actor, q: AuditQueryInput): Promise<{ items: AuditEntryJsonShape[]; nextCursor: string | null }> {
  // A cursor is bound to the caller, the tenant and every filter (not to the page size): shared/http/cursor.ts.
  const { cursor, limit: _limit, ...filters } = q;
  const scope = { list: 'audit', tenantId: actor.tenantId, userId: actor.userId, query: filters };
  const after = cursor ? await decodeCursor(scope, cursor, (p) => AUDIT_SK_PATTERN.test(p)) : undefined;
  const where = q.tokenId
    ? { by: 'token' as const, tokenId: q.tokenId }
    : actor.isAdmin
      ? { by: 'tenant' as const, tenantId: actor.tenantId }
      : { by: 'owner' as const, ownerRef: ownerRefOf(actor.tenantId, actor.userId) };
  const keep = (r: AuditRecord) =>
    r.tenantId === actor.tenantId &&
    (actor.isAdmin || r.ownerId === actor.userId) &&
    (!q.action || r.action === q.action) &&
    (!q.actorId || (r.actor.type === 'user' && r.actor.userId === q.actorId));
  const page = await storeList(where, q.limit, after, keep);
  return { items: page.items.map(toAuditJson), nextCursor: page.after ? await encodeCursor(scope, page.after) : null };
}
