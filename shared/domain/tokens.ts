// The token service: every rule of rules.md §1.1–§1.8 that the management API enforces.
// Handlers call one function here; this module asks access.ts who may do what and writes
// through shared/store/tokens.ts with single-item conditional writes.
import { normalizePermissions, type Permission } from '../catalog.ts';
import { getConfig, serviceNowIso } from '../config.ts';
import { MAC_NEEDS, macKeys } from '../crypto/mac.ts';
import { seal, open, VAULT_NEEDS } from '../crypto/vault.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PermissionNotHeldError,
  ValidationError,
} from '../errors.ts';
import { PUBLISH_NEEDS, publish, type DomainEvent, tokenEvent } from '../events/publish.ts';
import { needs } from '../grants.ts';
import { TokenJson, type CreateTokenInput, type ListTokensInput, type PatchTokenInput, type RenewTokenInput, type TokenJsonShape } from '../http/schemas.ts';
import { CURSOR_NEEDS, decodeCursor, encodeCursor } from '../http/cursor.ts';
import { newId } from '../ids.ts';
import { ConditionFailed, retryOnConflict } from '../store/client.ts';
import { CREATED_SK_PATTERN } from '../store/keys.ts';
import {
  deleteToken as storeDelete,
  getToken,
  listTokens as storeList,
  TOKEN_STORE_NEEDS as S,
  updateToken,
  type TokenRecord,
} from '../store/tokens.ts';
import { LEGACY_STORE_NEEDS, markLegacyRevoked } from '../store/legacy.ts';
import { announceRevocations, REVOCATION_STORE_NEEDS } from '../store/revocations.ts';
import { newToken, TOKEN_ATTRIBUTES } from '../store/token-entity.ts';
import { getUser, USER_STORE_NEEDS, type UserRecord } from '../store/users.ts';
import { hashesEqual, hashValue, hintOf, mintValue, ownerRefOf } from '../token-value.ts';
import { assertRevealable, assertVisible, canSee } from './access.ts';
import { AUDIT_OPERATION_NEEDS, changedFields, recordActivity, systemActor, userActor, type EntryInput } from './audit.ts';
import { begin, complete, IDEMPOTENCY_OPERATION_NEEDS, reserve, type Answer, type Standing } from './idempotency.ts';
import { effectivePermissions, tokenBlocker, type Actor } from './actor.ts';
import { deleteAtOf, statusOf } from '../lifecycle.ts';
import { cascadeChange, disabledEvent, insertFindable, settleWithOwner, USER_OPERATION_NEEDS } from './users.ts';

/**
 * The store, key and bus calls of each operation, including the ones on rare paths (the owner
 * re-check after a create, the legacy mark before a delete): shared/grants.ts.
 */
const A = AUDIT_OPERATION_NEEDS;
const IDEMPOTENT = needs(IDEMPOTENCY_OPERATION_NEEDS.begin, IDEMPOTENCY_OPERATION_NEEDS.reserve, IDEMPOTENCY_OPERATION_NEEDS.complete);
const REVOKE = REVOCATION_STORE_NEEDS.announceRevocations;

export const TOKEN_OPERATION_NEEDS = {
  createToken: needs(
    IDEMPOTENT, MAC_NEEDS.macKeys, VAULT_NEEDS.seal, USER_OPERATION_NEEDS.insertFindable, PUBLISH_NEEDS, A.recordActivity, USER_OPERATION_NEEDS.settleWithOwner,
  ),
  getTokenJson: S.getToken,
  visibleToken: S.getToken,
  revealValue: needs(S.getToken, VAULT_NEEDS.open),
  listTokens: needs(S.listTokens, CURSOR_NEEDS.decodeCursor, CURSOR_NEEDS.encodeCursor),
  patchToken: needs(S.getToken, USER_STORE_NEEDS.getUser, S.updateToken, REVOKE, PUBLISH_NEEDS, A.recordActivity, USER_OPERATION_NEEDS.settleWithOwner),
  renewToken: needs(
    IDEMPOTENT, S.getToken, USER_STORE_NEEDS.getUser, MAC_NEEDS.macKeys, VAULT_NEEDS.seal, S.updateToken, REVOKE, PUBLISH_NEEDS, A.recordActivity,
    USER_OPERATION_NEEDS.settleWithOwner,
  ),
  deleteToken: needs(S.getToken, LEGACY_STORE_NEEDS.markLegacyRevoked, S.deleteToken, REVOKE, PUBLISH_NEEDS, A.recordActivity),
} as const;

const now = () => getConfig().clock.now();
/** New values carry a tag under the deployment's current value-tag key (shared/token-value.ts). */
const tagging = async () => ({ key: (await macKeys('value-tag'))[0], nowMs: now() });

/** The stored attributes a token's JSON shows as they are: those its schema names. */
const SHOWN = Object.keys(TokenJson.shape).filter((k) => k in TOKEN_ATTRIBUTES) as (keyof TokenRecord)[];

export function toJson(t: TokenRecord, atMs = now()): TokenJsonShape {
  return {
    ...Object.fromEntries(SHOWN.map((k) => [k, t[k]])),
    // Derived, or shown differently from how they are stored:
    permissions: t.legacy ? null : (t.permissions ?? []),
    status: statusOf(t, atMs),
    disabledReason: t.disabledAt ? t.disabledReason : null,
    deleteAt: deleteAtOf(t),
  } as TokenJsonShape;
}

const event = (detailType: DomainEvent['detailType'], t: TokenRecord, extra: Partial<DomainEvent['detail']> = {}): DomainEvent =>
  tokenEvent(detailType, t, serviceNowIso(), extra);

function assertHeld(requested: readonly Permission[], held: readonly Permission[]): void {
  const missing = requested.filter((p) => !held.includes(p));
  if (missing.length > 0) throw new PermissionNotHeldError(missing);
}

function assertFuture(iso: string | null | undefined, field: string): void {
  if (iso && Date.parse(iso) <= now()) throw new ValidationError(`${field} must be in the future.`, [{ path: field, message: 'must be in the future' }]);
}

const canonicalIso = (iso: string | null | undefined) => (iso ? new Date(Date.parse(iso)).toISOString() : null);

export async function createToken(actor: Actor, input: CreateTokenInput, idempotencyKey?: string): Promise<Answer> {
  const permissions = normalizePermissions(input.permissions);
  const standing = idempotencyKey ? await begin(actor, idempotencyKey, 'createToken', '', { ...input, permissions }) : undefined;
  if (standing?.kind === 'replay') return standing.answer;
  if (input.visibility === 'shared' && !actor.isAdmin) throw new ForbiddenError('Only administrators can create shared tokens.');
  assertHeld(permissions, actor.permissions);
  // A retry finishes what its first attempt reserved: the same token id, value and creation time.
  const pending = standing?.kind === 'pending' ? standing : undefined;
  if (!pending) assertFuture(input.expiresAt, 'expiresAt');
  const id = pending?.record.tokenId ?? newId('token');
  const value = pending?.value ?? mintValue(id, actor.tenantId, actor.userId, await tagging());
  const sealed = pending?.record.sealed ?? (await seal(value, id));
  const at = pending?.record.createdAt ?? serviceNowIso();
  if (standing?.kind === 'fresh' && (await reserve(standing.claim, { tokenId: id, sealed, createdAt: at, fromVersion: null }, now()))) {
    return createToken(actor, input, idempotencyKey); // another attempt holds the key: finish or replay it
  }
  const record = newToken({
    id,
    tenantId: actor.tenantId,
    ownerId: actor.userId,
    ownerRef: ownerRefOf(actor.tenantId, actor.userId),
    name: input.name,
    description: input.description ?? null,
    visibility: input.visibility ?? 'private',
    permissions,
    createdAt: at,
    updatedAt: at,
    expiresAt: canonicalIso(input.expiresAt),
    hint: hintOf(value),
    hash: hashValue(value),
    sealed,
    allowedCidrs: input.allowedCidrs ?? null,
  });
  let saved: TokenRecord;
  try {
    await insertFindable(record);
    await recordActivity(record, { action: 'created', actor: userActor(actor), at });
    await publish(event('TokenCreated', record, { actorId: actor.userId, expiresAt: record.expiresAt }));
    saved = await settleWithOwner(record, actor.user.version);
  } catch (e) {
    if (!(e instanceof ConditionFailed)) throw e;
    // The item is there already: written by an earlier attempt of this request (its reply lost,
    // then retried by the SDK or by the client with the same key). It is the same token.
    const existing = await getToken(id, true);
    if (!existing || existing.ownerId !== actor.userId || (!pending && !hashesEqual(existing.hash ?? undefined, record.hash ?? undefined))) {
      throw new ConflictError('The token could not be created; retry.');
    }
    saved = existing;
  }
  const answer = { token: toJson(saved), value };
  if (standing) await complete(standing.claim, record.id, answer);
  return answer;
}

export async function visibleToken(actor: Actor, id: string, consistent = false): Promise<TokenRecord> {
  const token = await getToken(id, consistent);
  assertVisible(actor, token);
  return token;
}

export async function getTokenJson(actor: Actor, id: string): Promise<TokenJsonShape> {
  return toJson(await visibleToken(actor, id));
}

export async function revealValue(actor: Actor, id: string): Promise<{ value: string }> {
  const token = await getToken(id, true);
  assertRevealable(actor, token);
  if (!token.sealed) throw new ConflictError('A legacy token has no viewable value; renew it to get one.');
  return { value: await open(token.sealed, token.id) };
}

// ---- list ----------------------------------------------------------------------------------

const DAY_MS = 86_400_000;

/** Not used since `cutoffMs`; a token never used counts as unused however new it is. */
const unusedSince = (t: TokenRecord, cutoffMs: number) => t.lastUsedAt === null || Date.parse(t.lastUsedAt) < cutoffMs;

export async function listTokens(actor: Actor, q: ListTokensInput): Promise<{ items: TokenJsonShape[]; nextCursor: string | null }> {
  // A cursor is bound to the caller, the tenant and every filter (not to the page size).
  const { cursor, limit, ...filters } = q;
  const scope = { list: 'tokens', tenantId: actor.tenantId, userId: actor.userId, query: filters };
  const after = cursor ? await decodeCursor(scope, cursor, (p) => CREATED_SK_PATTERN.test(p)) : undefined;
  // A non-administrator asking for someone else's tokens sees none (they do not exist for them).
  if (q.owner && q.owner !== actor.userId && !actor.isAdmin) return { items: [], nextCursor: null };
  const at = now();
  const where = q.owner || !actor.isAdmin
    ? { index: 'byOwner' as const, ownerRef: ownerRefOf(actor.tenantId, q.owner ?? actor.userId) }
    : { index: 'byTenant' as const, tenantId: actor.tenantId };
  const cutoff = q.unusedForDays === undefined ? undefined : at - q.unusedForDays * DAY_MS;
  const page = await storeList(where, limit, after, (t) =>
    canSee(actor, t) && (!q.status || statusOf(t, at) === q.status) && (cutoff === undefined || unusedSince(t, cutoff)));
  return { items: page.items.map((t) => toJson(t, at)), nextCursor: page.after ? await encodeCursor(scope, page.after) : null };
}

// ---- change --------------------------------------------------------------------------------

const MAX_ATTEMPTS = 5;

/** Re-reads and re-applies on a lost race, so concurrent changes serialize. */
const withRetry = <T>(attempt: () => Promise<T>): Promise<T> =>
  retryOnConflict(MAX_ATTEMPTS, attempt, () => new ConflictError('The token changed concurrently; retry.'));

/** Whether a change can end an acceptance the authorizer may have cached. */
function narrows(before: TokenRecord, after: TokenRecord): boolean {
  if (!before.disabledAt && after.disabledAt) return true;
  if ((before.permissions ?? []).some((p) => !(after.permissions ?? []).includes(p))) return true;
  // Cached acceptances carry the networks they were checked against.
  if (JSON.stringify(before.allowedCidrs) !== JSON.stringify(after.allowedCidrs)) return true;
  return after.expiresAt !== null && (before.expiresAt === null || after.expiresAt < before.expiresAt);
}

/** Announced before the write (shared/store/revocations.ts): harmless if the write then fails. */
const announceToken = (id: string) => announceRevocations([{ kind: 'token', id }]);

export async function patchToken(actor: Actor, id: string, input: PatchTokenInput): Promise<TokenJsonShape> {
  assertFuture(input.expiresAt, 'expiresAt');
  return withRetry(async () => {
    const read = await visibleToken(actor, id, true);
    const at = now();
    const needsOwner = input.permissions !== undefined || input.enabled === true;
    const owner = needsOwner ? await getUser(read.tenantId, read.ownerId, true) : undefined;
    const ownerHeld = owner && owner.status !== 'deleted' ? effectivePermissions(owner) : [];
    // Judged against the owner as read, the token is as that owner's cascade leaves it, even if
    // the cascade has not reached it yet: the PATCH then answers as it would after the cascade.
    const token = owner ? (cascadeChange(read, owner, new Date(at).toISOString()) ?? read) : read;
    const next: TokenRecord = { ...token };
    const events: DomainEvent[] = token.disabledAt && !read.disabledAt ? [disabledEvent(token)] : [];
    if (input.name !== undefined) next.name = input.name;
    if (input.description !== undefined) next.description = input.description;
    if (input.expiresAt !== undefined) next.expiresAt = canonicalIso(input.expiresAt);
    if (input.allowedCidrs !== undefined) next.allowedCidrs = input.allowedCidrs;

    if (input.permissions !== undefined) {
      if (token.legacy) throw new ConflictError("A legacy token's permissions are its owner's and cannot be changed; renew it first.");
      const requested = normalizePermissions(input.permissions);
      assertHeld(requested, ownerHeld); // never more than the owner holds now
      if (actor.userId !== token.ownerId) assertHeld(requested, actor.permissions); // nor more than the admin holds
      next.permissions = requested;
    }

    if (input.enabled === true && token.disabledAt) {
      const blocker = tokenBlocker(owner);
      if (blocker) throw new ConflictError(`The token cannot be enabled while its owner is ${blocker === 'sso' ? 'an SSO user' : blocker}.`);
      if (statusOf({ disabledAt: null, expiresAt: next.expiresAt }, at) === 'expired') {
        throw new ConflictError('The token has expired; move expiresAt into the future in the same request to enable it.');
      }
      if (!next.legacy && (!next.permissions || next.permissions.length === 0)) {
        throw new ConflictError('The token has no permissions left; give it permissions in the same request to enable it.');
      }
      if (!next.legacy) assertHeld(next.permissions!, ownerHeld);
      next.disabledAt = null;
      next.disabledReason = null;
    } else if (input.enabled === false && !token.disabledAt) {
      next.disabledAt = new Date(at).toISOString();
      next.disabledReason = 'manual';
      events.push(event('TokenDisabled', next, { actorId: actor.userId, reason: 'manual' }));
    }
    next.updatedAt = new Date(at).toISOString();
    if (narrows(read, next)) await announceToken(read.id);
    const saved = await updateToken(next, read.version);
    const entries: EntryInput[] = [];
    // The owner's cascade rule, applied here ahead of the cascade (see above), is the system's change.
    if (token.disabledAt && !read.disabledAt) entries.push({ action: 'disabled', actor: systemActor(token.disabledReason!), reason: token.disabledReason, at: next.updatedAt });
    if (changedFields(read, token).length > 0) entries.push({ action: 'updated', actor: systemActor('owner_permissions_changed'), changes: ['permissions'], at: next.updatedAt });
    const changes = changedFields(token, next);
    if (changes.length > 0) entries.push({ action: 'updated', actor: userActor(actor), changes, at: next.updatedAt });
    if (!token.disabledAt && next.disabledAt) entries.push({ action: 'disabled', actor: userActor(actor), reason: 'manual', at: next.updatedAt });
    if (token.disabledAt && !next.disabledAt) entries.push({ action: 'enabled', actor: userActor(actor), at: next.updatedAt });
    await recordActivity(saved, ...entries);
    await publish(...events);
    // Checked against the owner as read above: settle against a change recorded since.
    return toJson(owner ? await settleWithOwner(saved, owner.version) : saved, at);
  });
}

/**
 * A renew sent again under its Idempotency-Key, whose first attempt reserved a value: its answer
 * if that attempt's write went through; nothing if the token is still as that attempt read it.
 */
async function finishedBefore(token: TokenRecord, pending: Extract<Standing, { kind: 'pending' }>, id: string): Promise<Answer | undefined> {
  if (hashesEqual(token.hash ?? undefined, hashValue(pending.value))) {
    const answer = { token: toJson(token), value: pending.value };
    await complete(pending.claim, id, answer);
    return answer;
  }
  if (token.version !== pending.record.fromVersion) {
    throw new ConflictError('The token changed after this renew was first sent, and it was not renewed; send a new request with a new Idempotency-Key.');
  }
  return undefined;
}

/**
 * Renewing a legacy token turns it into a normal one with its owner's current permissions and ends
 * the UUID+secret login (rules.md §1.11). Sets that on `next`; gives the owner as read.
 */
async function legacyToNormal(token: TokenRecord, next: TokenRecord): Promise<UserRecord | undefined> {
  const owner = await getUser(token.tenantId, token.ownerId, true);
  const held = owner ? effectivePermissions(owner) : [];
  if (tokenBlocker(owner) || held.length === 0) throw new ConflictError('The owner of this legacy token cannot hold tokens now.');
  // legacyUuid stays: deleting the token later must still revoke the UUID for good.
  Object.assign(next, { legacy: false, permissions: held, legacySecretSha256: null });
  return owner;
}

/** What a renew changes: the new value's hash, hint and sealed copy; the old value kept for the grace period, within the expiry. */
function rotation(token: TokenRecord, value: string, sealed: string, graceSeconds: number, at: number): Partial<TokenRecord> {
  const expiry = token.expiresAt ? Date.parse(token.expiresAt) : Infinity;
  const graceUntil = Math.min(at + graceSeconds * 1000, expiry);
  const keepOld = graceSeconds > 0 && graceUntil > at && token.hash !== null;
  return {
    hash: hashValue(value),
    hint: hintOf(value),
    sealed,
    prevHash: keepOld ? token.hash : null,
    prevHashUntil: keepOld ? new Date(graceUntil).toISOString() : null,
    updatedAt: new Date(at).toISOString(),
  };
}

export async function renewToken(actor: Actor, id: string, input: RenewTokenInput, idempotencyKey?: string, attempt = 1): Promise<Answer> {
  const standing = idempotencyKey ? await begin(actor, idempotencyKey, 'renewToken', id, input) : undefined;
  if (standing?.kind === 'replay') return standing.answer;
  const token = await getToken(id, true);
  assertRevealable(actor, token);
  const pending = standing?.kind === 'pending' ? standing : undefined;
  const finished = pending && (await finishedBefore(token, pending, id));
  if (finished) return finished;
  const at = now();
  const next: TokenRecord = { ...token };
  const owner = token.legacy ? await legacyToNormal(token, next) : undefined;
  const value = pending?.value ?? mintValue(token.id, token.tenantId, token.ownerId, await tagging());
  const sealed = pending?.record.sealed ?? (await seal(value, token.id));
  if (standing?.kind === 'fresh' && (await reserve(standing.claim, { tokenId: id, sealed, createdAt: new Date(at).toISOString(), fromVersion: token.version }, at))) {
    return renewToken(actor, id, input, idempotencyKey); // another attempt holds the key: finish or replay it
  }
  Object.assign(next, rotation(token, value, sealed, input.graceSeconds ?? 0, at));
  // The old value's acceptance ends now, or at the end of the grace period (which no cache outlives).
  await announceToken(token.id);
  let saved: TokenRecord;
  try {
    saved = await updateToken(next, token.version);
  } catch (e) {
    if (!(e instanceof ConditionFailed)) throw e;
    // Our own write, applied but its reply lost and retried by the SDK, fails its condition too.
    const current = await getToken(id, true);
    // Lost to a delete: as "delete, then renew".
    if (!current) throw new NotFoundError();
    if (!hashesEqual(current.hash ?? undefined, next.hash ?? undefined)) {
      // Another renew won (a new sealed value): only its value works, ours was never stored. A
      // renew with an Idempotency-Key reserved what it read, so it does not start again either.
      if (current.sealed !== token.sealed || standing || attempt >= MAX_ATTEMPTS) {
        throw new ConflictError('The token was changed or renewed concurrently; nothing was changed here.');
      }
      // Any other change: renew on top of it, as "that change, then renew".
      return renewToken(actor, id, input, idempotencyKey, attempt + 1);
    }
    saved = current;
  }
  await recordActivity(saved, { action: 'renewed', actor: userActor(actor), at: saved.updatedAt, ...(token.legacy ? { changes: ['legacy'] } : {}) });
  await publish(event('TokenRenewed', saved, { actorId: actor.userId, graceUntil: next.prevHashUntil }));
  // A legacy renew took the owner's permissions as they were read: settle against a change since.
  const settled = owner ? await settleWithOwner(saved, owner.version) : saved;
  const answer = { token: toJson(settled, at), value };
  if (standing) await complete(standing.claim, id, answer);
  return answer;
}

export async function deleteToken(actor: Actor, id: string): Promise<void> {
  await withRetry(async () => {
    const token = await visibleToken(actor, id, true);
    // First the mark, then the delete: a crash between leaves a token that a retry deletes.
    if (token.legacyUuid) await markLegacyRevoked(token.legacyUuid, serviceNowIso());
    await announceToken(token.id);
    await storeDelete(token.id, token.version);
    await recordActivity(token, { action: 'deleted', actor: userActor(actor) });
    await publish(event('TokenDeleted', token, { actorId: actor.userId }));
  });
}

