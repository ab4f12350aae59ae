// The token and user item shapes: the mapping between a record and its item (the token's
// attributes and indexes are declared in token-entity.ts). Every client reads and writes through
// these (the SDK in the management functions, the authorizer's light client), so the shapes
// cannot drift. No AWS SDK here: the authorizer bundles this module.
import { ttlOf } from '../lifecycle.ts';
import { tokenKeys } from './keys.ts';
import { TABLE } from './table.ts';
import { recordFromItem, TOKEN_INDEXES, type TokenRecord } from './token-entity.ts';

export type { DisabledReason, TokenRecord, Visibility } from './token-entity.ts';

type Item = Record<string, unknown>;

/** The item of a record: its attributes, its primary key, the keys of every index it is in, and its TTL. */
export function toItem(record: TokenRecord): Item {
  const item: Item = { ...tokenKeys.primary(record.id), type: 'token' };
  for (const [k, v] of Object.entries(record)) if (v !== null && v !== undefined) item[k] = v;
  for (const index of Object.values(TOKEN_INDEXES)) Object.assign(item, index.keysOf(record));
  const ttl = ttlOf(record);
  if (ttl !== null) item[TABLE.ttlAttribute] = ttl;
  return item;
}

/** The record of an item: each declared attribute, nothing else. */
export const fromItem = (item: Item): TokenRecord => recordFromItem(item);

/** Reads never show an item past its TTL, even before the store has removed it (rules.md §1.5). */
export function isLive(item: Item | undefined, nowMs: number): item is Item {
  if (!item) return false;
  const ttl = item[TABLE.ttlAttribute];
  return typeof ttl !== 'number' || ttl * 1000 > nowMs;
}

export type UserStatus = 'active' | 'disabled' | 'deleted';
export type AuthMethod = 'password' | 'sso';

export interface UserRecord {
  tenantId: string;
  userId: string;
  ownerRef: string;
  version: number;
  role: string;
  /** An explicit list replaces the role's set (rules.md §2). */
  permissions: string[] | null;
  status: UserStatus;
  authMethod: AuthMethod;
  email: string | null;
  updatedAt: string;
}

export function fromUserItem(item: Record<string, unknown>): UserRecord {
  return {
    tenantId: item.tenantId as string,
    userId: item.userId as string,
    ownerRef: item.ownerRef as string,
    version: Number(item.version),
    role: item.role as string,
    permissions: (item.permissions as string[] | undefined) ?? null,
    status: item.status as UserStatus,
    authMethod: item.authMethod as AuthMethod,
    email: (item.email as string | undefined) ?? null,
    updatedAt: item.updatedAt as string,
  };
}

