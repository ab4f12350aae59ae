// The token item, declared once (after ElectroDB's entities): its attributes with their defaults,
// and the indexes it appears in with the keys it carries for each. The item mapping
// (shared/store/items.ts, used by every client), the record factory `newToken` and the table
// definition (shared/store/table.ts, from which CDK and the local runtime create the table) all
// read it. No AWS SDK here: the authorizer bundles this module.
// Adding a field: one line here, the schema that accepts or shows it (shared/http/schemas.ts),
// and the code that sets it.
import type { Permission } from '../catalog.ts';
import { tokenKeys } from './keys.ts';

export type Visibility = 'private' | 'shared';
export type DisabledReason = 'manual' | 'owner_disabled' | 'owner_sso' | 'owner_deleted' | 'permissions_revoked' | 'leaked';

/** How an attribute is read from an item, and its value in a new record (none: the caller must give one). */
interface Attribute<T, HasDefault extends boolean> {
  read(stored: unknown): T;
  readonly initial: HasDefault extends true ? T : undefined;
}
const given = <T>(): Attribute<T, false> => ({ read: (v) => v as T, initial: undefined });
const nullable = <T>(): Attribute<T | null, true> => ({ read: (v) => (v ?? null) as T | null, initial: null });
const flag = (): Attribute<boolean, true> => ({ read: (v) => v === true, initial: false });

export const TOKEN_ATTRIBUTES = {
  id: given<string>(),
  tenantId: given<string>(),
  ownerId: given<string>(),
  /** The owner's key part, also carried inside every value (shared/token-value.ts). */
  ownerRef: given<string>(),
  name: given<string>(),
  description: nullable<string>(),
  visibility: given<Visibility>(),
  legacy: flag(),
  /** null for a legacy token: its permissions are its owner's current ones. */
  permissions: nullable<Permission[]>(),
  createdAt: given<string>(),
  updatedAt: given<string>(),
  expiresAt: nullable<string>(),
  disabledAt: nullable<string>(),
  disabledReason: nullable<DisabledReason>(),
  /** Written by the authorizer only; management writes leave it alone. */
  lastUsedAt: nullable<string>(),
  hint: given<string>(),
  /** SHA-256 of the current value; null for a legacy token that was never renewed. */
  hash: nullable<string>(),
  /** The value before the last renew, valid until prevHashUntil (the grace period). */
  prevHash: nullable<string>(),
  prevHashUntil: nullable<string>(),
  /** The value, sealed with AES-256-GCM (shared/crypto/vault.ts); null for legacy tokens. */
  sealed: nullable<string>(),
  legacyUuid: nullable<string>(),
  legacySecretSha256: nullable<string>(),
  /** Optimistic-concurrency version: every management write expects the version it read. */
  version: { read: (v: unknown) => Number(v ?? 0), initial: 1 } satisfies Attribute<number, true>,
  /** The expiresAt for which a TokenExpiringSoon event went out, so it goes out once. */
  expiryNoticeFor: nullable<string>(),
  /** Source networks the token may be used from (canonical CIDR blocks); null: anywhere. */
  allowedCidrs: nullable<string[]>(),
};

type Attributes = typeof TOKEN_ATTRIBUTES;
export type TokenRecord = { [K in keyof Attributes]: ReturnType<Attributes[K]['read']> };
type Defaulted = { [K in keyof Attributes]: Attributes[K]['initial'] extends undefined ? never : K }[keyof Attributes];

/** A new token: what the caller gives, every other attribute at its default. */
export function newToken(given: Omit<TokenRecord, Defaulted> & Partial<Pick<TokenRecord, Defaulted>>): TokenRecord {
  const record: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(TOKEN_ATTRIBUTES)) record[name] = attribute.initial;
  return Object.assign(record, given) as TokenRecord;
}

/** The record an item holds: each attribute read as declared, nothing else. */
export function recordFromItem(item: Record<string, unknown>): TokenRecord {
  const record: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(TOKEN_ATTRIBUTES)) record[name] = attribute.read(item[name]);
  return record as TokenRecord;
}

export interface TokenIndex {
  /** Named for the access pattern it serves. */
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly purpose: string;
  /** The index's key attributes for a record; none where the index is sparse and skips it. */
  keysOf(record: TokenRecord): Record<string, string>;
}

const createdSk = (r: TokenRecord) => tokenKeys.createdSk(r.createdAt, r.id);

export const TOKEN_INDEXES = {
  byOwner: {
    name: 'byOwner',
    partitionKey: 'ownerPk',
    sortKey: 'createdSk',
    purpose: "a user's tokens, newest first (own list, owner filter, cascades)",
    keysOf: (r) => ({ ownerPk: tokenKeys.ownerPk(r.ownerRef), createdSk: createdSk(r) }),
  },
  byTenant: {
    name: 'byTenant',
    partitionKey: 'tenantPk',
    sortKey: 'createdSk',
    purpose: "every token of a tenant, newest first (administrators' list)",
    keysOf: (r) => ({ tenantPk: tokenKeys.tenantPk(r.tenantId), createdSk: createdSk(r) }),
  },
  byExpiryDay: {
    name: 'byExpiryDay',
    partitionKey: 'expiryPk',
    sortKey: 'expirySk',
    purpose: 'tokens expiring on a given UTC day (TokenExpiringSoon notices, expiry records); sparse',
    keysOf: (r): Record<string, string> => (r.expiresAt ? { expiryPk: tokenKeys.expiryPk(r.expiresAt), expirySk: tokenKeys.expirySk(r.expiresAt, r.id) } : {}),
  },
} as const satisfies Record<string, TokenIndex>;

/** Every index key attribute a token item may carry. */
export const TOKEN_INDEX_ATTRIBUTES = [...new Set(Object.values(TOKEN_INDEXES).flatMap((i) => [i.partitionKey, i.sortKey]))];
