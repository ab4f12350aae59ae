// Every key of the single table is built here, one builder per item type; no other module
// concatenates "TOKEN#" or "USER#". The access patterns these keys serve are listed in
// shared/store/README.md.
import { ownerRefOf } from '../token-value.ts';

export const tokenKeys = {
  /** Primary key: one item per token, addressed by id (GetItem, BatchGetItem). */
  primary: (tokenId: string) => ({ pk: `TOKEN#${tokenId}`, sk: 'TOKEN' }),
  /** byOwner: a user's tokens, newest first. */
  ownerPk: (ownerRef: string) => `OWNER#${ownerRef}`,
  /** byTenant: a tenant's tokens, newest first. */
  tenantPk: (tenantId: string) => `TENANT#${tenantId}`,
  /** Shared sort key of byOwner and byTenant: creation time, then id for uniqueness. */
  createdSk: (createdAt: string, tokenId: string) => `${createdAt}#${tokenId}`,
  /** byExpiryDay: tokens expiring on one UTC day (sparse: only tokens with an expiry). */
  expiryPk: (expiresAt: string) => `EXPIRY#${expiresAt.slice(0, 10)}`,
  expirySk: (expiresAt: string, tokenId: string) => `${expiresAt}#${tokenId}`,
};

export const userKeys = {
  /** The user projection, addressed by the owner ref that every token value carries. */
  primaryByRef: (ownerRef: string) => ({ pk: `USER#${ownerRef}`, sk: 'USER' }),
  primary: (tenantId: string, userId: string) => userKeys.primaryByRef(ownerRefOf(tenantId, userId)),
};

export const recentKeys = {
  /**
   * The ids of the tokens an owner created on one UTC day: the strongly consistent way to find a
   * token that the byOwner index may not show yet.
   */
  day: (ownerRef: string, atIso: string) => ({ pk: `RECENT#${ownerRef}`, sk: `DAY#${atIso.slice(0, 10)}` }),
};

export const legacyKeys = {
  /** One marker per legacy UUID ever imported (state imported | revoked); it has no TTL. */
  marker: (uuid: string) => ({ pk: `LEGACY#${uuid.toLowerCase()}`, sk: 'MARKER' }),
};

export const auditKeys = {
  /** An entry lives in its token's audit partition (the tokenId filter), newest last by sort key. */
  primary: (tokenId: string, at: string, auditId: string) => ({ pk: `AUDIT#${tokenId}`, sk: auditKeys.sortKey(at, auditId) }),
  tokenPk: (tokenId: string) => `AUDIT#${tokenId}`,
  /** auditByTenant: a tenant's entries, newest first. */
  tenantPk: (tenantId: string) => `AUDIT#TENANT#${tenantId}`,
  /** auditByOwner: the entries of one user's tokens, newest first. */
  ownerPk: (ownerRef: string) => `AUDIT#OWNER#${ownerRef}`,
  /** Shared sort key of the table and both audit indexes: time, then id for uniqueness. */
  sortKey: (at: string, auditId: string) => `${at}#${auditId}`,
};

export const AUDIT_SK_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#aud_[0-9A-Za-z]{17}$/;

export const idempotencyKeys = {
  /** One record per caller and Idempotency-Key: `callerKey` is SHA-256(tenant, user, key), base64url. */
  record: (callerKey: string) => ({ pk: `IDEM#${callerKey}`, sk: 'IDEM' }),
};

export const usageKeys = {
  /** One counter item per token and UTC day (yyyy-mm-dd); a token's days are one partition. */
  day: (tokenId: string, day: string) => ({ pk: `USAGE#${tokenId}`, sk: `DAY#${day}` }),
  partition: (tokenId: string) => `USAGE#${tokenId}`,
  daySk: (day: string) => `DAY#${day}`,
};

export const revocationKeys = {
  /** The revocation feed: one partition, sorted by time (docs: shared/store/README.md). */
  partition: 'REVOKED',
  entry: (atIso: string, kind: string, id: string) => ({ pk: 'REVOKED', sk: `${atIso}#${kind}#${id}` }),
  /** The sort key every entry written at or after `atIso` sorts after. */
  after: (atIso: string) => atIso,
};

/** A list cursor names a position by its sort key only; the partition comes from the query. */
export const CREATED_SK_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#tok_[0-9A-Za-z]{17}$/;
