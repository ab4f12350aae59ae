// Activity-log items: one item per entry, written once with a single conditional PutItem and
// kept 400 days through the table's TTL attribute. The entry sits in its token's audit
// partition (the tokenId filter) and in two sparse indexes: the tenant's log and the log of one
// owner's tokens. Keys come from keys.ts.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { needs, queryNeed, tableNeed } from '../grants.ts';
import { ConditionFailed, store, storeCall } from './client.ts';
import { auditKeys } from './keys.ts';
import { listPage } from './paging.ts';
import { TABLE } from './table.ts';

export const AUDIT_RETENTION_DAYS = 400;

export type AuditAction = 'created' | 'updated' | 'enabled' | 'disabled' | 'renewed' | 'deleted' | 'expired';

export type AuditActor = { type: 'user'; userId: string } | { type: 'system'; reason: string };

export interface AuditRecord {
  id: string;
  at: string;
  action: AuditAction;
  tenantId: string;
  tokenId: string;
  tokenName: string;
  ownerId: string;
  ownerRef: string;
  actor: AuditActor;
  /** Names of the fields an update changed; never their values. */
  changes: string[] | null;
  reason: string | null;
  /** Where a leaked value was found (leak reports only). */
  url: string | null;
}

type Item = Record<string, unknown>;

function toItem(r: AuditRecord): Item {
  const item: Item = {
    ...auditKeys.primary(r.tokenId, r.at, r.id),
    type: 'audit',
    auditTenantPk: auditKeys.tenantPk(r.tenantId),
    auditOwnerPk: auditKeys.ownerPk(r.ownerRef),
    auditSk: auditKeys.sortKey(r.at, r.id),
    [TABLE.ttlAttribute]: Math.ceil(Date.parse(r.at) / 1000) + AUDIT_RETENTION_DAYS * 86_400,
  };
  for (const [k, v] of Object.entries(r)) if (v !== null && v !== undefined) item[k] = v;
  return item;
}

function fromItem(item: Item): AuditRecord {
  return {
    id: item.id as string,
    at: item.at as string,
    action: item.action as AuditAction,
    tenantId: item.tenantId as string,
    tokenId: item.tokenId as string,
    tokenName: item.tokenName as string,
    ownerId: item.ownerId as string,
    ownerRef: item.ownerRef as string,
    actor: item.actor as AuditActor,
    changes: (item.changes as string[] | undefined) ?? null,
    reason: (item.reason as string | undefined) ?? null,
    url: (item.url as string | undefined) ?? null,
  };
}

const table = () => getConfig().tableName;

/** The IAM actions each function of this module sends (shared/grants.ts). */
export const AUDIT_STORE_NEEDS = {
  putAudit: [tableNeed('PutItem')],
  auditExists: [tableNeed('GetItem')],
  // A token's entries: Query on the base table; a tenant's or an owner's: on their index.
  listAudit: needs([tableNeed('Query')], [queryNeed('auditByTenant')], [queryNeed('auditByOwner')]),
} as const;

/** Writes an entry once: a repeat of the same entry (same id and time) changes nothing. */
export async function putAudit(record: AuditRecord): Promise<'written' | 'exists'> {
  try {
    await storeCall(() =>
      store().send(new PutCommand({ TableName: table(), Item: toItem(record), ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    return 'written';
  } catch (e) {
    if (e instanceof ConditionFailed) return 'exists';
    throw e;
  }
}

export async function auditExists(tokenId: string, at: string, auditId: string): Promise<boolean> {
  const out = await storeCall(() => store().send(new GetCommand({ TableName: table(), Key: auditKeys.primary(tokenId, at, auditId) })));
  return out.Item !== undefined;
}

export type AuditWhere =
  | { by: 'token'; tokenId: string }
  | { by: 'tenant'; tenantId: string }
  | { by: 'owner'; ownerRef: string };

/**
 * Newest first: a page of `limit` entries that pass `keep`, entries past their 400 days hidden as
 * tokens past their TTL are (shared/store/paging.ts listPage).
 */
export function listAudit(
  where: AuditWhere,
  limit: number,
  after: string | undefined,
  keep: (r: AuditRecord) => boolean,
): Promise<{ items: AuditRecord[]; after?: string }> {
  const partition =
    where.by === 'token'
      ? { partitionKey: 'pk', sortKey: 'sk', partition: auditKeys.tokenPk(where.tokenId) }
      : where.by === 'tenant'
        ? { indexName: 'auditByTenant', partitionKey: 'auditTenantPk', sortKey: 'auditSk', partition: auditKeys.tenantPk(where.tenantId) }
        : { indexName: 'auditByOwner', partitionKey: 'auditOwnerPk', sortKey: 'auditSk', partition: auditKeys.ownerPk(where.ownerRef) };
  const nowSeconds = getConfig().clock.now() / 1000;
  const live = (item: Item) => typeof item[TABLE.ttlAttribute] !== 'number' || (item[TABLE.ttlAttribute] as number) > nowSeconds;
  return listPage(partition, { limit, after }, (item) => (live(item) ? fromItem(item) : undefined), keep, (r) => auditKeys.sortKey(r.at, r.id));
}
