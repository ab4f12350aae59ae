// The reads of the verification path, written once whichever client sends them: the token with
// its owner (one BatchGetItem), a token or a user alone (GetItem, the legacy path), and the
// revocation feed (Query). A transport only moves plain items to and from DynamoDB: the SDK's
// document client in the management functions (transport-sdk.ts), SigV4 over node:http in the
// authorizer (transport-light.ts). Failures become UnavailableError (503) in either.
import { getConfig } from '../config.ts';
import { UnavailableError } from '../errors.ts';
import { fromItem, fromUserItem, isLive, type TokenRecord, type UserRecord } from './items.ts';
import { revocationKeys, tokenKeys, userKeys } from './keys.ts';
import { tableNeed } from '../grants.ts';

export type Item = Record<string, unknown>;

/** What a client must do for these reads; items are plain objects (unmarshalled). */
export interface StoreReads {
  /** One BatchGetItem call on the table; keys it did not process come back. */
  batchGet(keys: Item[], consistent: boolean): Promise<{ items: Item[]; unprocessed: Item[] }>;
  get(key: Item, consistent: boolean): Promise<Item | undefined>;
  /** One Query page of the base table. */
  query(q: { keyCondition: string; values: Item; consistent: boolean; start?: Item }): Promise<{ items: Item[]; last?: Item }>;
}

const now = () => getConfig().clock.now();

/** The IAM actions each read sends, whichever transport carries it (shared/grants.ts). */
export const READ_NEEDS = {
  readToken: [tableNeed('GetItem')],
  readUser: [tableNeed('GetItem')],
  readTokenWithOwner: [tableNeed('BatchGetItem')],
  readTokens: [tableNeed('BatchGetItem')],
  readRevocationsSince: [tableNeed('Query')],
} as const;

export async function readToken(reads: StoreReads, tokenId: string, consistent: boolean): Promise<TokenRecord | undefined> {
  const item = await reads.get(tokenKeys.primary(tokenId), consistent);
  return isLive(item, now()) ? fromItem(item) : undefined;
}

export async function readUser(reads: StoreReads, tenantId: string, userId: string, consistent: boolean): Promise<UserRecord | undefined> {
  const item = await reads.get(userKeys.primary(tenantId, userId), consistent);
  if (!item) return undefined;
  const user = fromUserItem(item);
  // The owner ref is a hash; a collision must never let one user stand for another.
  return user.tenantId === tenantId && user.userId === userId ? user : undefined;
}

/**
 * Many tokens by id, 100 keys per BatchGetItem (the API's limit); those that do not exist or are
 * past their TTL are left out (a cascade's consistent re-read of what it found).
 */
export async function readTokens(reads: StoreReads, tokenIds: readonly string[], consistent: boolean): Promise<TokenRecord[]> {
  const found: TokenRecord[] = [];
  for (let i = 0; i < tokenIds.length; i += 100) {
    let keys: Item[] = tokenIds.slice(i, i + 100).map((id) => tokenKeys.primary(id));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt >= 4) throw new UnavailableError();
      const out = await reads.batchGet(keys, consistent);
      for (const item of out.items) if (isLive(item, now())) found.push(fromItem(item));
      keys = out.unprocessed;
    }
  }
  return found;
}

/** The authorizer's one round trip: the token and its owner's projection together. */
export async function readTokenWithOwner(
  reads: StoreReads,
  tokenId: string,
  ownerRef: string,
  consistent: boolean,
): Promise<{ token?: TokenRecord; owner?: UserRecord }> {
  const tokenKey = tokenKeys.primary(tokenId);
  const ownerKey = userKeys.primaryByRef(ownerRef);
  let keys: Item[] = [tokenKey, ownerKey];
  const found: Item[] = [];
  for (let attempt = 0; keys.length > 0 && attempt < 4; attempt++) {
    const out = await reads.batchGet(keys, consistent);
    found.push(...out.items);
    keys = out.unprocessed;
  }
  if (keys.length > 0) throw new UnavailableError();
  const t = found.find((i) => i.pk === tokenKey.pk);
  const o = found.find((i) => i.pk === ownerKey.pk);
  return { token: isLive(t, now()) ? fromItem(t) : undefined, owner: o ? fromUserItem(o) : undefined };
}

export type RevokedKind = 'token' | 'owner';

export interface Revocation {
  kind: RevokedKind;
  /** A token id, or an owner's ownerRef. */
  id: string;
  /** When it was announced, on the service clock. */
  atMs: number;
}

/** Revocation feed entries announced at or after `sinceMs`, strongly consistent, oldest first. */
export async function readRevocationsSince(reads: StoreReads, sinceMs: number): Promise<Revocation[]> {
  const found: Revocation[] = [];
  let start: Item | undefined;
  do {
    const page = await reads.query({
      keyCondition: 'pk = :pk AND sk >= :from',
      values: { ':pk': revocationKeys.partition, ':from': revocationKeys.after(new Date(sinceMs).toISOString()) },
      consistent: true,
      start,
    });
    for (const item of page.items) {
      const kind = item.kind;
      if ((kind === 'token' || kind === 'owner') && typeof item.id === 'string' && typeof item.at === 'number') found.push({ kind, id: item.id, atMs: item.at });
    }
    start = page.last;
  } while (start);
  return found;
}
