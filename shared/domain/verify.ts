// Verification: the authorizer's rules (rules.md §1.3–§1.5, §1.10, §1.11, §4).
//
// A `tsr_` value carries its token id and its owner's ref, so the uncached path is one
// BatchGetItem (token + owner projection) and a constant-time hash comparison, or one GetItem of
// the token when the owner's projection was read within the acceptance window (owner-cache.ts).
// Malformed and mistyped values are refused before any read. A legacy UUID+secret needs two
// reads (the credential does not name its owner). Decisions are cached per container on the
// service clock: acceptances for cacheSeconds, denials never longer, and an acceptance leaves the
// cache within about a second of its revocation (the feed, shared/domain/revocation-watch.ts),
// as does a cached owner projection.
// Verification writes nothing: usage is counted from the authorizer's log line
// (shared/usage-line.ts, functions/usage.ts).
import { getConfig } from '../config.ts';
import { addressAllowed } from '../networks.ts';
import type { TokenRecord, UserRecord } from '../store/items.ts';
import { needs } from '../grants.ts';
import { READ_NEEDS, readRevocationsSince, readToken, readTokenWithOwner, readUser, type Revocation, type StoreReads } from '../store/reads.ts';
import { MAC_NEEDS, macKeys } from '../crypto/mac.ts';
import { UnavailableError } from '../errors.ts';
import { hashValue, hashesEqual, hexHashesEqual, legacyTokenId, parseValue, sha256Hex, tagIsValid } from '../token-value.ts';

type ParsedValue = NonNullable<ReturnType<typeof parseValue>>;
import { effectivePermissions, tokenBlocker } from './owner.ts';
import { statusOf } from '../lifecycle.ts';
import { RevocationWatch } from './revocation-watch.ts';
import { cachedOwner, clearOwners, dropOwners, keepOwner, type CachedOwner } from './owner-cache.ts';
import type { Credential, Decision, DenyReason, Grant } from '../decision.ts';

/**
 * verify(): the value path (one BatchGetItem, or one GetItem with the owner cached), the legacy
 * path (two GetItems), the revocation feed (a Query once a second per warm container); no writes
 * (shared/grants.ts).
 */
// MAC: the value-tag key, to refuse a value this deployment did not mint before any read.
export const VERIFY_NEEDS = needs(READ_NEEDS.readTokenWithOwner, READ_NEEDS.readToken, READ_NEEDS.readUser, READ_NEEDS.readRevocationsSince, MAC_NEEDS.macKeys);

export type { Credential, Decision, DenyReason, Grant } from '../decision.ts';

const CACHE_MAX_ENTRIES = 10_000;

/** A decision and whom it concerns: the token and its owner, as far as the credential named them. */
interface Checked {
  decision: Decision;
  tokenId?: string;
  ownerRef?: string;
  /** When the owner's projection it rests on was read, if earlier than the verification (cached). */
  ownerReadAtMs?: number;
}

interface Cached extends Checked {
  freshUntil: number;
}

const cache = new Map<string, Cached>();

let reads: StoreReads | undefined;
/**
 * The client verification reads with (shared/store/reads.ts): the authorizer gives its light
 * client (transport-light.ts). Set once at cold start; this module imports no client of its own.
 */
export function useStoreReads(transport: StoreReads): void {
  reads = transport;
}
function client(): StoreReads {
  if (!reads) throw new Error('verify: no store client; call useStoreReads() at cold start');
  return reads;
}

const watch = new RevocationWatch(
  (sinceMs) => readRevocationsSince(client(), sinceMs),
  dropRevoked,
  forgetCached,
  () => getConfig().authorizer.cacheSeconds * 1000,
);

function forgetCached(): void {
  cache.clear();
  clearOwners();
}

function dropRevoked(entries: Revocation[]): void {
  const tokens = new Set(entries.filter((e) => e.kind === 'token').map((e) => e.id));
  const owners = new Set(entries.filter((e) => e.kind === 'owner').map((e) => e.id));
  dropOwners(owners);
  for (const [key, c] of cache) {
    if ((c.tokenId && tokens.has(c.tokenId)) || (c.ownerRef && owners.has(c.ownerRef))) cache.delete(key);
  }
}

const held = (c: Pick<Checked, 'tokenId' | 'ownerRef'>, nowMs: number) =>
  watch.isHeld('token', c.tokenId, nowMs) || watch.isHeld('owner', c.ownerRef, nowMs);

export function clearVerifyCaches(): void {
  forgetCached();
  watch.reset();
}

const deny = (reason: DenyReason, tokenId?: string): Decision => (tokenId ? { allow: false, reason, tokenId } : { allow: false, reason });

function decide(token: TokenRecord | undefined, owner: UserRecord | undefined, nowMs: number): Decision {
  if (!token) return deny('unknown');
  const status = statusOf(token, nowMs);
  if (status !== 'enabled') return deny(status, token.id);
  if (!owner || owner.tenantId !== token.tenantId || owner.userId !== token.ownerId || tokenBlocker(owner)) {
    return deny('owner_inactive', token.id);
  }
  const held = effectivePermissions(owner);
  // The owner's current permissions bound the token even before a narrowing cascade has run.
  const permissions = token.legacy ? held : (token.permissions ?? []).filter((p) => held.includes(p));
  if (permissions.length === 0) return deny('no_permissions', token.id);
  const grant: Grant = { tenantId: token.tenantId, userId: token.ownerId, tokenId: token.id, permissions };
  if (token.allowedCidrs) grant.allowedCidrs = token.allowedCidrs;
  return token.expiresAt ? { allow: true, grant, validUntil: Date.parse(token.expiresAt) } : { allow: true, grant };
}

/**
 * How long after a value was minted an eventually consistent read may still miss it (DynamoDB:
 * typically well under a second): a refusal of such a value is confirmed by a consistent read.
 */
const RECENT_MINT_MS = 5_000;

/** Whether the value's authenticated mint time is within RECENT_MINT_MS (whole seconds) of now. */
function mintedRecently(parsed: ParsedValue, nowMs: number): boolean {
  const minted = parsed.tagged?.mintedAtMs;
  return minted !== undefined && nowMs - minted <= RECENT_MINT_MS + 1000 && minted - nowMs <= RECENT_MINT_MS;
}

async function verifyValue(value: string, parsed: ParsedValue, nowMs: number): Promise<Checked> {
  // A tagged value this deployment did not mint is refused without reading the store. Should the
  // keys be out of reach, the value is verified by its hash as any other (the tag saves reads;
  // it grants nothing).
  let tagChecked = false;
  if (parsed.tagged) {
    // A refusal by IAM is a deployment defect (shared/defects.ts) and propagates; an outage falls back.
    const keys = await macKeys('value-tag').catch((e: unknown) => {
      if (e instanceof UnavailableError) return undefined;
      throw e;
    });
    if (keys && !tagIsValid(parsed, keys)) return { decision: deny('forged') };
    tagChecked = keys !== undefined;
  }
  const about = { tokenId: parsed.tokenId, ownerRef: parsed.ownerRef };
  // A token or owner revoked a moment ago is read strongly consistent: the change it announced
  // may be younger than an eventually consistent read.
  const ownerHeld = watch.isHeld('owner', parsed.ownerRef, nowMs);
  const consistent = ownerHeld || watch.isHeld('token', parsed.tokenId, nowMs);
  // Only a value whose tag was checked here uses the owner cache: its owner ref was minted by this
  // deployment, so the cost of an invented untagged value cannot tell whether an owner is active.
  // An owner revoked a moment ago is read with its token, strongly consistent, and not kept. A
  // window of 0 turns the cache off.
  const withOwnerCache = tagChecked && !ownerHeld && getConfig().authorizer.cacheSeconds > 0;
  const first = await checkValue(value, parsed, nowMs, consistent, withOwnerCache);
  const { decision } = first;
  if (consistent || decision.allow || (decision.reason !== 'unknown' && decision.reason !== 'mismatch')) return { ...first, ...about };
  // Right after a create or a renew, an eventually consistent read can miss the new item or hash:
  // only then is the refusal confirmed with a strongly consistent read. Untagged values were all
  // minted before tags existed, so never seconds ago; every other refusal costs one read.
  if (!mintedRecently(parsed, nowMs)) return { ...first, ...about };
  return { ...(await checkValue(value, parsed, nowMs, true, withOwnerCache)), ...about };
}

/** Refusals the owner's projection decides: never made from a cached projection alone. */
const OWNER_REFUSALS: ReadonlySet<DenyReason> = new Set<DenyReason>(['owner_inactive', 'no_permissions']);

/**
 * Reads and judges a value: the token alone (GetItem) when its owner's projection is cached and
 * fresh, else token + owner (one BatchGetItem), whose owner is then kept for the owner's next
 * value. A refusal for the owner's sake made from the cache is confirmed by the second read, so a
 * refusal never rests on an older projection than without the cache.
 */
async function checkValue(value: string, parsed: ParsedValue, nowMs: number, consistent: boolean, withOwnerCache: boolean): Promise<Pick<Checked, 'decision' | 'ownerReadAtMs'>> {
  const known: CachedOwner | undefined = withOwnerCache ? cachedOwner(parsed.ownerRef, nowMs, getConfig().authorizer.cacheSeconds) : undefined;
  if (known) {
    const decision = judge(value, await readToken(client(), parsed.tokenId, consistent), known.owner, nowMs);
    if (decision.allow || !OWNER_REFUSALS.has(decision.reason)) return { decision, ownerReadAtMs: known.readAtMs };
    dropOwners([parsed.ownerRef]);
  }
  const { token, owner } = await readTokenWithOwner(client(), parsed.tokenId, parsed.ownerRef, consistent);
  // Not kept if the feed named the owner while this read was on its way: it may predate the change.
  if (withOwnerCache && owner && !watch.isHeld('owner', parsed.ownerRef, nowMs)) keepOwner(parsed.ownerRef, owner, nowMs);
  return { decision: judge(value, token, owner, nowMs) };
}

/** The decision on a value, given its token and owner as read (or the owner as cached). */
function judge(value: string, token: TokenRecord | undefined, owner: UserRecord | undefined, nowMs: number): Decision {
  if (!token) return deny('unknown');
  const hash = hashValue(value);
  const current = hashesEqual(hash, token.hash ?? undefined);
  const inGrace = !current && token.prevHashUntil !== null && Date.parse(token.prevHashUntil) > nowMs && hashesEqual(hash, token.prevHash ?? undefined);
  if (!current && !inGrace) return deny('mismatch', token.id);
  const decision = decide(token, owner, nowMs);
  if (!inGrace || !decision.allow) return decision;
  return { ...decision, validUntil: Math.min(decision.validUntil ?? Infinity, Date.parse(token.prevHashUntil!)) };
}

async function verifyLegacy(uuid: string, secret: string, secretHash: string, nowMs: number): Promise<Checked> {
  if (!/^[0-9a-fA-F-]{32,36}$/.test(uuid) || secret.length === 0 || secret.length > 512) return { decision: deny('malformed') };
  const tokenId = legacyTokenId(uuid);
  const token = await readToken(client(), tokenId, held({ tokenId }, nowMs));
  if (!token || !token.legacy || token.legacyUuid?.toLowerCase() !== uuid.toLowerCase()) return { decision: deny('unknown'), tokenId };
  const about = { tokenId, ownerRef: token.ownerRef };
  if (!hexHashesEqual(secretHash, token.legacySecretSha256 ?? undefined)) return { decision: deny('mismatch', token.id), ...about };
  // A disabled or expired token is refused before its owner is read: every refusal of a
  // credential costs the same one read.
  const status = statusOf(token, nowMs);
  if (status !== 'enabled') return { decision: deny(status, token.id), ...about };
  const owner = await readUser(client(), token.tenantId, token.ownerId, held(about, nowMs));
  return { decision: decide(token, owner, nowMs), ...about };
}

const cacheKey = (credential: Credential, secretHash: string) =>
  credential.kind === 'value' ? credential.value : `legacy\u0000${credential.uuid.toLowerCase()}\u0000${secretHash}`;

/** Caches a decision for its window; never a malformed or forged value, nor an acceptance of a held id. */
function remember(key: string, checked: Checked, nowMs: number): void {
  const { decision } = checked;
  const { cacheSeconds, denyCacheSeconds } = getConfig().authorizer;
  const seconds = decision.allow ? cacheSeconds : denyCacheSeconds;
  if (seconds <= 0 || (!decision.allow && (decision.reason === 'malformed' || decision.reason === 'forged')) || (decision.allow && held(checked, nowMs))) return;
  if (!cache.has(key) && cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  // An acceptance made from a cached owner ends when that projection's own window does.
  const ends = decision.allow ? Math.min(decision.validUntil ?? Infinity, (checked.ownerReadAtMs ?? nowMs) + seconds * 1000) : Infinity;
  cache.set(key, { ...checked, freshUntil: Math.min(nowMs + seconds * 1000, ends) });
}

/**
 * Verifies a credential, from the container cache when fresh. Once a second (service clock) it
 * first reads the revocation feed, so a cached acceptance ends within about a second of its
 * revocation. Store failures propagate.
 */
export async function verify(credential: Credential): Promise<Decision> {
  const nowMs = getConfig().clock.now();
  // A legacy secret is hashed once: the hash keys the cache and is what the store is compared with.
  const secretHash = credential.kind === 'legacy' ? sha256Hex(credential.secret) : '';
  const key = cacheKey(credential, secretHash);
  // Only well-formed values are cached, so a value in the cache needs no parsing; a malformed
  // one is refused before any read, the feed's included.
  let entry = cache.get(key);
  let parsed: ParsedValue | undefined;
  if (credential.kind === 'value' && !entry) {
    parsed = parseValue(credential.value);
    if (!parsed) return deny('malformed');
  }
  // Awaited only when the feed is due (once a second): the cached path stays synchronous.
  const polling = watch.sync(nowMs);
  if (polling) {
    await polling;
    entry = cache.get(key);
  }
  if (entry && entry.freshUntil > nowMs) return entry.decision;
  const checked =
    credential.kind === 'value'
      ? await verifyValue(credential.value, parsed ?? parseValue(credential.value)!, nowMs)
      : await verifyLegacy(credential.uuid, credential.secret, secretHash, nowMs);
  remember(key, checked, nowMs);
  return checked.decision;
}

/**
 * The network check of a token restricted to source networks (docs/rules.md §1.14). It runs on
 * every request, after the cache, whose decisions are per token: one address's acceptance is
 * never served to another. An event without a source address (REST TOKEN) cannot pass it.
 */
export function networkDecision(decision: Decision, sourceIp: string | undefined): Decision {
  if (!decision.allow || !decision.grant.allowedCidrs) return decision;
  const tokenId = decision.grant.tokenId;
  if (!sourceIp) return { allow: false, reason: 'network_unknown', tokenId };
  return addressAllowed(decision.grant.allowedCidrs, sourceIp) ? decision : { allow: false, reason: 'network', tokenId };
}

