// User changes (rules.md §1.9, §1.10, §5): record the projection first, guarded by version, then
// cascade to the user's tokens. Each token is one conditional write, so a crash leaves every
// token either done or untouched, and a redelivery (same version = repeat) finishes the job.
// Until it has, the authorizer's owner check already rejects what the cascade would disable.
import { z } from 'zod';
import { getConfig, serviceNowIso } from '../config.ts';
import { ValidationError } from '../errors.ts';
import { PUBLISH_NEEDS, publish, type DomainEvent, tokenEvent } from '../events/publish.ts';
import { needs } from '../grants.ts';
import { retryOnConflict } from '../store/client.ts';
import { logger } from '../log.ts';
import { noteRecentToken, recentTokenIds, RECENT_STORE_NEEDS } from '../store/recent.ts';
import { announceRevocations, REVOCATION_STORE_NEEDS } from '../store/revocations.ts';
import { allTokensOf, getToken, getTokens, insertToken, TOKEN_STORE_NEEDS, updateToken, type DisabledReason, type TokenRecord } from '../store/tokens.ts';
import { getUser, putUserIfNewer, USER_STORE_NEEDS, type ProjectionWrite, type UserRecord } from '../store/users.ts';
import { ownerRefOf } from '../token-value.ts';
import { AUDIT_STORE_NEEDS, putAudit } from '../store/audit.ts';
import { effectivePermissions, tokenBlocker } from './owner.ts';
import { derivedAuditId, entryFor, systemActor } from './audit.ts';

const id = z.string().regex(/^[A-Za-z0-9._:@|-]{1,128}$/, 'letters, digits and ._:@|- only, at most 128');
const version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const UserChangedDetail = z.object({
  tenantId: id,
  userId: id,
  version,
  role: z.string().min(1).max(64),
  status: z.enum(['active', 'disabled']),
  authMethod: z.enum(['password', 'sso']),
  permissions: z.array(z.string().max(64)).max(100).optional(),
  email: z.string().max(320).optional(),
});

export const UserDeletedDetail = z.object({ tenantId: id, userId: id, version });

export type UserEvent =
  | { detailType: 'UserChanged'; detail: z.infer<typeof UserChangedDetail> }
  | { detailType: 'UserDeleted'; detail: z.infer<typeof UserDeletedDetail> };


export function parseUserEvent(detailType: unknown, detail: unknown): UserEvent {
  const schema = detailType === 'UserChanged' ? UserChangedDetail : detailType === 'UserDeleted' ? UserDeletedDetail : undefined;
  if (!schema) throw new ValidationError(`Unknown detail-type ${JSON.stringify(detailType)}.`);
  const parsed = schema.safeParse(detail);
  if (!parsed.success) {
    throw new ValidationError(
      'Invalid event detail.',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return { detailType, detail: parsed.data } as UserEvent;
}

export interface CascadeReport {
  projection: ProjectionWrite;
  examined: number;
  changed: number;
  disabled: number;
}

const S = TOKEN_STORE_NEEDS;

/** The store calls of each operation (shared/grants.ts). */
const CASCADE_ONE = needs(S.updateToken, S.getToken, PUBLISH_NEEDS, AUDIT_STORE_NEEDS.putAudit);

export const USER_OPERATION_NEEDS = {
  cascadeOne: CASCADE_ONE,
  applyUserEvent: needs(
    USER_STORE_NEEDS.getUser, USER_STORE_NEEDS.putUserIfNewer, REVOCATION_STORE_NEEDS.announceRevocations, S.allTokensOf,
    RECENT_STORE_NEEDS.recentTokenIds, S.getTokens, CASCADE_ONE,
  ),
  insertFindable: needs(RECENT_STORE_NEEDS.noteRecentToken, S.insertToken),
  settleWithOwner: needs(USER_STORE_NEEDS.getUser, CASCADE_ONE),
} as const;

const CASCADE_CONCURRENCY = 16;
const MAX_ATTEMPTS = 6;

export async function applyUserEvent(event: UserEvent): Promise<CascadeReport> {
  const at = serviceNowIso();
  const d = event.detail;
  let record: Omit<UserRecord, 'ownerRef'>;
  if (event.detailType === 'UserChanged') {
    const c = event.detail;
    record = {
      tenantId: c.tenantId, userId: c.userId, version: c.version, role: c.role, permissions: c.permissions ?? null,
      status: c.status, authMethod: c.authMethod, email: c.email ?? null, updatedAt: at,
    };
  } else {
    const previous = await getUser(d.tenantId, d.userId, true);
    record = {
      tenantId: d.tenantId, userId: d.userId, version: d.version, role: previous?.role ?? 'none', permissions: [],
      status: 'deleted', authMethod: previous?.authMethod ?? 'password', email: null, updatedAt: at,
    };
  }
  // Any user change may end acceptances (disabled, SSO, deleted, narrowed): announced first, so
  // authorizers drop the owner's cached acceptances within a second; harmless if stale.
  await announceRevocations([{ kind: 'owner', id: ownerRefOf(d.tenantId, d.userId) }]);
  const projection = await putUserIfNewer(record);
  if (projection === 'stale') return { projection, examined: 0, changed: 0, disabled: 0 };
  // Cascade from what is stored now: for a repeat that is this same version.
  const user = (await getUser(d.tenantId, d.userId, true)) ?? { ...record, ownerRef: ownerRefOf(d.tenantId, d.userId) };
  return { projection, ...(await cascade(user)) };
}

/** Why an owner's tokens are disabled, by what keeps the owner from holding tokens (owner.ts tokenBlocker). */
const OWNER_REASON = { deleted: 'owner_deleted', disabled: 'owner_disabled', sso: 'owner_sso' } as const satisfies Record<string, DisabledReason>;

/** What the owner's state demands of one token, or undefined if it is already so. */
export function cascadeChange(token: TokenRecord, owner: UserRecord, atIso: string): TokenRecord | undefined {
  const blocker = tokenBlocker(owner);
  const reason: DisabledReason | null = blocker && blocker !== 'unknown' ? OWNER_REASON[blocker] : null;
  // Disabling the owner disables tokens without trimming them; only what the role lost is trimmed.
  const held = effectivePermissions(owner);
  const next = { ...token };
  if (!token.legacy && token.permissions) next.permissions = token.permissions.filter((p) => held.includes(p));
  const revoked = token.legacy ? held.length === 0 : (next.permissions ?? []).length === 0;
  if (!token.disabledAt && (reason || revoked)) {
    next.disabledAt = atIso;
    next.disabledReason = reason ?? 'permissions_revoked';
  }
  const changed = next.disabledAt !== token.disabledAt || (next.permissions ?? []).length !== (token.permissions ?? []).length;
  if (!changed) return undefined;
  next.updatedAt = atIso;
  return next;
}

const CASCADE_REASONS: readonly (DisabledReason | null)[] = ['owner_disabled', 'owner_sso', 'owner_deleted', 'permissions_revoked'];

/**
 * The cascade's activity entries, with ids derived from the token and the time of the change, so
 * writing them again changes nothing. Unlike a user's change, a cascade is redelivered when it
 * fails, so a failed entry fails the delivery: the redelivery finds the token already done and
 * writes the disable entry again (recordCascadeDone).
 */
async function recordCascade(before: TokenRecord, after: TokenRecord): Promise<void> {
  const at = after.updatedAt;
  if ((after.permissions ?? []).length !== (before.permissions ?? []).length) {
    await putAudit(entryFor(after, { action: 'updated', actor: systemActor('owner_permissions_changed'), changes: ['permissions'], at, id: derivedAuditId(after.id, 'updated', at) }));
  }
  if (after.disabledAt && !before.disabledAt) await recordCascadeDone(after);
}

async function recordCascadeDone(token: TokenRecord): Promise<void> {
  const at = token.disabledAt!;
  const reason = token.disabledReason!;
  await putAudit(entryFor(token, { action: 'disabled', actor: systemActor(reason), reason, at, id: derivedAuditId(token.id, 'disabled', at) }));
}

/** Brings one token in line with its owner: one conditional write, re-read and redone on a race. */
export async function cascadeOne(token: TokenRecord, owner: UserRecord): Promise<{ outcome: 'unchanged' | 'changed' | 'disabled'; token?: TokenRecord }> {
  const change = await retryOnConflict(MAX_ATTEMPTS, async (run) => {
    const current = run === 1 ? token : await getToken(token.id, true);
    if (!current) return undefined;
    const next = cascadeChange(current, owner, serviceNowIso());
    return { current, next, saved: next && (await updateToken(next, current.version)) };
  });
  if (!change) return { outcome: 'unchanged' };
  const { current, next, saved } = change;
  if (!next || !saved) {
    // Disabled by this very change of the owner, on an earlier delivery: its entry may be missing.
    if (current.disabledAt && CASCADE_REASONS.includes(current.disabledReason) && current.disabledAt >= owner.updatedAt) await recordCascadeDone(current);
    return { outcome: 'unchanged', token: current };
  }
  const disabled = Boolean(next.disabledAt && !current.disabledAt);
  // The event first: a redelivery after a failed entry finds the token done and sends no event.
  if (disabled) await publish(disabledEvent(next));
  await recordCascade(current, saved);
  return { outcome: disabled ? 'disabled' : 'changed', token: saved };
}

export const disabledEvent = (t: TokenRecord): DomainEvent => tokenEvent('TokenDisabled', t, t.disabledAt!, { reason: t.disabledReason });

/**
 * Brings every token of the owner in line with `owner`. The tokens are found through the byOwner
 * index and through the owner's recent-token items (which a young token cannot be missing from),
 * and all are read again with strongly consistent reads (BatchGetItem) before they are judged: an index copy may
 * be older than the token (say, still disabled after an enable was written).
 */
export async function cascade(owner: UserRecord): Promise<Omit<CascadeReport, 'projection'>> {
  const report = { examined: 0, changed: 0, disabled: 0 };
  const ids = new Set<string>();
  for await (const page of allTokensOf(owner.ownerRef)) {
    for (const t of page) if (t.tenantId === owner.tenantId && t.ownerId === owner.userId) ids.add(t.id);
  }
  for (const id of await recentTokenIds(owner.ownerRef, getConfig().clock.now())) ids.add(id);
  const mine = (await getTokens([...ids])).filter((t) => t.tenantId === owner.tenantId && t.ownerId === owner.userId);
  report.examined = mine.length;
  for (let i = 0; i < mine.length; i += CASCADE_CONCURRENCY) {
    const outcomes = await Promise.all(mine.slice(i, i + CASCADE_CONCURRENCY).map(async (t) => (await cascadeOne(t, owner)).outcome));
    for (const o of outcomes) {
      if (o !== 'unchanged') report.changed++;
      if (o === 'disabled') report.disabled++;
    }
  }
  return report;
}

/**
 * Writes a new token so that no owner change can pass it by: its id goes into the owner's
 * recent-token item first, so a cascade that reads that item later finds it. The caller then
 * calls settleWithOwner, for a change whose cascade read that item earlier.
 */
export async function insertFindable(record: TokenRecord): Promise<void> {
  await noteRecentToken(record.ownerRef, record.id, record.createdAt);
  await insertToken(record);
}

/**
 * After a write that was checked against owner version `seenVersion`: a user change recorded
 * since then may have cascaded past this token (before it existed, or while the write was on its
 * way). Re-reading the owner and applying the cascade rule gives what "this write, then that
 * change" gives (docs/rules.md §1.10). Best effort: the write has happened; a store failure here
 * is logged, and the change's own cascade covers the token unless it read it before this write.
 */
export async function settleWithOwner(token: TokenRecord, seenVersion: number): Promise<TokenRecord> {
  try {
    const owner = await getUser(token.tenantId, token.ownerId, true);
    if (!owner || owner.version === seenVersion) return token;
    return (await cascadeOne(token, owner)).token ?? token;
  } catch (error) {
    logger.warn('token written; its owner could not be re-read', { tokenId: token.id, error: error as Error });
    return token;
  }
}
