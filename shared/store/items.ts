// The token and user item shapes, declared once: the record types, and the mapping between a
// record and its item. Every client reads and writes through these (the SDK in the management
// functions, the authorizer's light client), so the shapes cannot drift. No AWS SDK here: the
// authorizer bundles this module.
import type { Permission } from '../catalog.ts';
import { ttlOf } from '../lifecycle.ts';
import { tokenKeys } from './keys.ts';
import { TABLE } from './table.ts';

export type Visibility = 'private' | 'shared';
export type DisabledReason = 'manual' | 'owner_disabled' | 'owner_sso' | 'owner_deleted' | 'permissions_revoked' | 'leaked';

export interface TokenRecord {
  id: string;
  tenantId: string;
  ownerId: string;
  ownerRef: string;
  name: string;
  description: string | null;
  visibility: Visibility;
  legacy: boolean;
  /** null for a legacy token: its permissions are its owner's current ones. */
  permissions: Permission[] | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  disabledAt: string | null;
  disabledReason: DisabledReason | null;
  lastUsedAt: string | null;
  hint: string;
  /** SHA-256 of the current value; null for a legacy token that was never renewed. */
  hash: string | null;
  /** The value before the last renew, valid until prevHashUntil (the grace period). */
  prevHash: string | null;
  prevHashUntil: string | null;
  /** The value, sealed with AES-256-GCM (shared/crypto/vault.ts); null for legacy tokens. */
  sealed: string | null;
  legacyUuid: string | null;
  legacySecretSha256: string | null;
  /** Optimistic-concurrency version: every management write expects the version it read. */
  version: number;
  /** The expiresAt for which a TokenExpiringSoon event went out, so it goes out once. */
  expiryNoticeFor: string | null;
  /** Source networks the token may be used from (canonical CIDR blocks); null: anywhere. */
  allowedCidrs: string[] | null;
}

export const NULLABLE: (keyof TokenRecord)[] = [
  'description', 'permissions', 'expiresAt', 'disabledAt', 'disabledReason', 'lastUsedAt', 'hash', 'prevHash',
  'prevHashUntil', 'sealed', 'legacyUuid', 'legacySecretSha256', 'expiryNoticeFor', 'allowedCidrs',
];

type Item = Record<string, unknown>;

export function toItem(record: TokenRecord): Item {
  const item: Item = {
    ...tokenKeys.primary(record.id),
    type: 'token',
    ownerPk: tokenKeys.ownerPk(record.ownerRef),
    tenantPk: tokenKeys.tenantPk(record.tenantId),
    createdSk: tokenKeys.createdSk(record.createdAt, record.id),
  };
  for (const [k, v] of Object.entries(record)) if (v !== null && v !== undefined) item[k] = v;
  if (record.expiresAt) {
    item.expiryPk = tokenKeys.expiryPk(record.expiresAt);
    item.expirySk = tokenKeys.expirySk(record.expiresAt, record.id);
  }
  const ttl = ttlOf(record);
  if (ttl !== null) item[TABLE.ttlAttribute] = ttl;
  return item;
}

export function fromItem(item: Item): TokenRecord {
  const record = {} as Record<string, unknown>;
  for (const key of NULLABLE) record[key] = item[key] ?? null;
  for (const key of ['id', 'tenantId', 'ownerId', 'ownerRef', 'name', 'visibility', 'createdAt', 'updatedAt', 'hint'] as const) {
    record[key] = item[key];
  }
  record.legacy = item.legacy === true;
  record.version = Number(item.version ?? 0);
  return record as unknown as TokenRecord;
}

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

