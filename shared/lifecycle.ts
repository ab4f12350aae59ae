// Status, expiry and the week-later deletion (rules.md §1.3–§1.5): derived from the record and
// the clock, never stored, so it cannot go stale. A leaf: the store derives the item's TTL from
// it and the domain its status, and it imports nothing.

export const DELETE_AFTER_MS = 7 * 24 * 3600 * 1000;
export const EXPIRY_NOTICE_MS = 3 * 24 * 3600 * 1000;

export type TokenStatus = 'enabled' | 'disabled' | 'expired';

interface Lifecycle {
  disabledAt: string | null;
  expiresAt: string | null;
}

export function statusOf(t: Lifecycle, nowMs: number): TokenStatus {
  if (t.disabledAt) return 'disabled';
  if (t.expiresAt && Date.parse(t.expiresAt) <= nowMs) return 'expired';
  return 'enabled';
}

/**
 * When the token is deleted: 7 days after it was disabled or expired, whichever came first
 * (disabling an already expired token does not extend its life). Null while neither is set.
 */
export function deleteAtMs(t: Lifecycle): number | null {
  const disabled = t.disabledAt ? Date.parse(t.disabledAt) : Infinity;
  const expires = t.expiresAt ? Date.parse(t.expiresAt) : Infinity;
  const start = Math.min(disabled, expires);
  return Number.isFinite(start) ? start + DELETE_AFTER_MS : null;
}

export const deleteAtOf = (t: Lifecycle): string | null => {
  const ms = deleteAtMs(t);
  return ms === null ? null : new Date(ms).toISOString();
};

/** The item's TTL attribute (epoch seconds), or null for no TTL. */
export function ttlOf(t: Lifecycle): number | null {
  const ms = deleteAtMs(t);
  return ms === null ? null : Math.ceil(ms / 1000);
}
