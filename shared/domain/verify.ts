// Verification: the authorizer's rules (rules.md §1.3–§1.5, §1.10, §1.11, §4).
//
// A `tsr_` value carries its token id and its owner's ref, so the uncached path is one
// BatchGetItem (token + owner projection) and a constant-time hash comparison. Malformed and
// mistyped values are refused before any read. A legacy UUID+secret needs two reads (the
// credential does not name its owner). Decisions are cached per container on the service
// clock: acceptances for cacheSeconds, denials never longer.
import { decodeStageMap, STAGE_PERMISSIONS_VARIABLE, type PermissionMap } from '../route-permissions.ts';
import { getConfig } from '../config.ts';
import { addressAllowed } from '../networks.ts';
import { logger } from '../log.ts';
import { getTokenWithOwner, getToken, touchLastUsed, type TokenRecord } from '../store/tokens.ts';
import { getUser, type UserRecord } from '../store/users.ts';
import { hashValue, hashesEqual, hexHashesEqual, legacyTokenId, parseValue, sha256Hex } from '../token-value.ts';
import { effectivePermissions, tokenBlocker } from './actor.ts';
import { statusOf } from './lifecycle.ts';

export type Credential = { kind: 'value'; value: string } | { kind: 'legacy'; uuid: string; secret: string };

export type DenyReason =
  | 'malformed'
  | 'unknown'
  | 'mismatch'
  | 'disabled'
  | 'expired'
  | 'owner_inactive'
  | 'no_permissions'
  | 'permission_missing'
  | 'network'
  | 'network_unknown';

export interface Grant {
  tenantId: string;
  userId: string;
  tokenId: string;
  permissions: string[];
  /** The token's source networks; absent when unrestricted. Checked per request, after the cache. */
  allowedCidrs?: string[];
}

/** validUntil: when the acceptance ends by itself (expiry, end of a grace period); no cache outlives it. */
export type Decision = { allow: true; grant: Grant; validUntil?: number } | { allow: false; reason: DenyReason };

const LAST_USED_INTERVAL_MS = 60_000;
const CACHE_MAX_ENTRIES = 10_000;

interface Cached {
  decision: Decision;
  freshUntil: number;
}

const cache = new Map<string, Cached>();
const lastTouched = new Map<string, number>();

export function clearVerifyCaches(): void {
  cache.clear();
  lastTouched.clear();
}

const deny = (reason: DenyReason): Decision => ({ allow: false, reason });

function decide(token: TokenRecord | undefined, owner: UserRecord | undefined, nowMs: number): Decision {
  if (!token) return deny('unknown');
  const status = statusOf(token, nowMs);
  if (status !== 'enabled') return deny(status);
  if (!owner || owner.tenantId !== token.tenantId || owner.userId !== token.ownerId || tokenBlocker(owner)) {
    return deny('owner_inactive');
  }
  const held = effectivePermissions(owner);
  // The owner's current permissions bound the token even before a narrowing cascade has run.
  const permissions = token.legacy ? held : (token.permissions ?? []).filter((p) => held.includes(p));
  if (permissions.length === 0) return deny('no_permissions');
  const grant: Grant = { tenantId: token.tenantId, userId: token.ownerId, tokenId: token.id, permissions };
  if (token.allowedCidrs) grant.allowedCidrs = token.allowedCidrs;
  return token.expiresAt ? { allow: true, grant, validUntil: Date.parse(token.expiresAt) } : { allow: true, grant };
}

async function verifyValue(value: string, nowMs: number): Promise<Decision> {
  const parsed = parseValue(value);
  if (!parsed) return deny('malformed');
  const decision = await checkValue(value, parsed, nowMs, false);
  // Right after a create or a renew, an eventually consistent read can miss the new item or
  // hash: such a refusal is confirmed with a strongly consistent read before it is answered.
  if (decision.allow || (decision.reason !== 'unknown' && decision.reason !== 'mismatch')) return decision;
  return checkValue(value, parsed, nowMs, true);
}

async function checkValue(value: string, parsed: { tokenId: string; ownerRef: string }, nowMs: number, consistent: boolean): Promise<Decision> {
  const { token, owner } = await getTokenWithOwner(parsed.tokenId, parsed.ownerRef, consistent);
  if (!token) return deny('unknown');
  const hash = hashValue(value);
  const current = hashesEqual(hash, token.hash ?? undefined);
  const inGrace = !current && token.prevHashUntil !== null && Date.parse(token.prevHashUntil) > nowMs && hashesEqual(hash, token.prevHash ?? undefined);
  if (!current && !inGrace) return deny('mismatch');
  noteStoredUse(token);
  const decision = decide(token, owner, nowMs);
  if (!inGrace || !decision.allow) return decision;
  return { ...decision, validUntil: Math.min(decision.validUntil ?? Infinity, Date.parse(token.prevHashUntil!)) };
}

async function verifyLegacy(uuid: string, secret: string, secretHash: string, nowMs: number): Promise<Decision> {
  if (!/^[0-9a-fA-F-]{32,36}$/.test(uuid) || secret.length === 0 || secret.length > 512) return deny('malformed');
  const token = await getToken(legacyTokenId(uuid));
  if (!token || !token.legacy || token.legacyUuid?.toLowerCase() !== uuid.toLowerCase()) return deny('unknown');
  if (!hexHashesEqual(secretHash, token.legacySecretSha256 ?? undefined)) return deny('mismatch');
  const owner = await getUser(token.tenantId, token.ownerId);
  return decide(token, owner, nowMs);
}

/** Verifies a credential, from the container cache when fresh. Store failures propagate. */
export async function verify(credential: Credential): Promise<Decision> {
  const { clock, authorizer } = getConfig();
  const nowMs = clock.now();
  // A legacy secret is hashed once: the hash keys the cache and is what the store is compared with.
  const secretHash = credential.kind === 'legacy' ? sha256Hex(credential.secret) : '';
  const key = credential.kind === 'value' ? credential.value : `legacy\u0000${credential.uuid.toLowerCase()}\u0000${secretHash}`;
  const hit = cache.get(key);
  let decision: Decision;
  if (hit && hit.freshUntil > nowMs) {
    decision = hit.decision;
  } else {
    decision =
      credential.kind === 'value'
        ? await verifyValue(credential.value, nowMs)
        : await verifyLegacy(credential.uuid, credential.secret, secretHash, nowMs);
    const seconds = decision.allow ? authorizer.cacheSeconds : authorizer.denyCacheSeconds;
    if (seconds > 0 && !(decision.allow === false && decision.reason === 'malformed')) {
      if (!cache.has(key) && cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value!);
      const ends = decision.allow ? (decision.validUntil ?? Infinity) : Infinity;
      cache.set(key, { decision, freshUntil: Math.min(nowMs + seconds * 1000, ends) });
    }
  }
  if (decision.allow) recordUse(decision.grant.tokenId, nowMs);
  return decision;
}

/**
 * A lastUsedAt that another container wrote less than a minute ago counts as this container's own
 * touch: the conditional write would fail anyway, so it is not sent (one write per token and
 * minute across containers, not one per container).
 */
function noteStoredUse(token: TokenRecord): void {
  const stored = token.lastUsedAt ? Date.parse(token.lastUsedAt) : NaN;
  if (stored > (lastTouched.get(token.id) ?? -Infinity)) touched(token.id, stored);
}

function touched(tokenId: string, atMs: number): void {
  if (!lastTouched.has(tokenId) && lastTouched.size >= CACHE_MAX_ENTRIES) lastTouched.delete(lastTouched.keys().next().value!);
  lastTouched.set(tokenId, atMs);
}

/** lastUsedAt, at most once a minute per token, off the response path; failures never deny. */
function recordUse(tokenId: string, nowMs: number): void {
  const last = lastTouched.get(tokenId);
  if (last !== undefined && nowMs - last < LAST_USED_INTERVAL_MS) return;
  touched(tokenId, nowMs);
  void touchLastUsed(tokenId, nowMs, LAST_USED_INTERVAL_MS).catch((error) =>
    logger.warn('lastUsedAt not recorded', { tokenId, error: error as Error }),
  );
}

const stageMaps = new Map<string, PermissionMap | 'invalid'>();

/**
 * The permission map for a request: the function's configured map, plus the one the calling
 * API's stage carries (stage variable tesseraPermissions), which wins for its own routes. A stage
 * map that cannot be read is 'invalid': the caller refuses, never ignores it.
 */
export function permissionMapFor(stageVariables: Readonly<Record<string, string | undefined>> | null | undefined): PermissionMap | 'invalid' {
  const configured = getConfig().authorizer.routePermissions;
  const text = stageVariables?.[STAGE_PERMISSIONS_VARIABLE];
  if (typeof text !== 'string' || text === '') return configured;
  let stage = stageMaps.get(text);
  if (stage === undefined) {
    stage = decodeStageMap(text);
    if (stageMaps.size >= 100) stageMaps.clear();
    stageMaps.set(text, stage);
  }
  return stage === 'invalid' ? stage : { ...configured, ...stage };
}

/**
 * The network check of a token restricted to source networks (docs/rules.md §1.14). It runs on
 * every request, after the cache, whose decisions are per token: one address's acceptance is
 * never served to another. An event without a source address (REST TOKEN) cannot pass it.
 */
export function networkDecision(decision: Decision, sourceIp: string | undefined): Decision {
  if (!decision.allow || !decision.grant.allowedCidrs) return decision;
  if (!sourceIp) return { allow: false, reason: 'network_unknown' };
  return addressAllowed(decision.grant.allowedCidrs, sourceIp) ? decision : { allow: false, reason: 'network' };
}

export const missingFor = (grant: Grant, required: readonly string[]) => required.filter((p) => !grant.permissions.includes(p));
