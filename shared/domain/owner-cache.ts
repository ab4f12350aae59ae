// A container's cache of owner projections for the value path (shared/domain/verify.ts), so that
// an uncached verification whose owner was read a moment ago reads only the token (one GetItem).
// Fresh for the acceptance window (TESSERA_AUTH_CACHE_SECONDS, service clock), bounded like the
// decision cache, and dropped by the revocation feed, which announces every change of an owner's
// projection before it is written (shared/domain/users.ts applyUserEvent). It keeps only what can
// accept: a projection that keeps its owner from holding tokens is never kept, and verify.ts
// confirms any refusal for the owner's sake with a read, so no denial comes from this cache.
import type { UserRecord } from '../store/items.ts';
import { tokenBlocker } from './owner.ts';

/** As many owners as the decision cache holds decisions. */
const MAX_ENTRIES = 10_000;

export interface CachedOwner {
  owner: UserRecord;
  /** When it was read, on the service clock: no acceptance rests on it longer than its window. */
  readAtMs: number;
}

const owners = new Map<string, CachedOwner>();

/** The projection of `ownerRef` if it was read less than `seconds` ago (service clock). */
export function cachedOwner(ownerRef: string, nowMs: number, seconds: number): CachedOwner | undefined {
  const entry = owners.get(ownerRef);
  if (!entry) return undefined;
  if (entry.readAtMs + seconds * 1000 > nowMs && entry.readAtMs <= nowMs) return entry;
  owners.delete(ownerRef);
  return undefined;
}

/**
 * Keeps a projection read at `readAtMs` under the ref it was read by. Only a projection that
 * can accept (an active, non-SSO owner under that very ref); its email is not kept.
 */
export function keepOwner(ownerRef: string, owner: UserRecord, readAtMs: number): void {
  if (owner.ownerRef !== ownerRef || tokenBlocker(owner) !== null) {
    owners.delete(ownerRef);
    return;
  }
  if (!owners.has(ownerRef) && owners.size >= MAX_ENTRIES) owners.delete(owners.keys().next().value!);
  owners.set(ownerRef, { owner: { ...owner, email: null }, readAtMs });
}

export function dropOwners(ownerRefs: Iterable<string>): void {
  for (const ref of ownerRefs) owners.delete(ref);
}

export function clearOwners(): void {
  owners.clear();
}
