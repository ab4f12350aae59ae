// What each function may do, as data: exactly the store calls its code path makes
// (shared/store/*.ts, shared/crypto/vault.ts, shared/events/publish.ts), nothing more.
// TesseraFunction.grantAccess turns an entry into IAM statements; test/infra checks that every
// route and job has an entry and that the synthesized policies say the same.
import type { IndexName } from '../shared/store/table.ts';
import { JOBS, type RouteId } from '../shared/routes.ts';

export type TableAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';
export type ValueKeyAction = 'GenerateDataKey' | 'Decrypt';
export type JobId = keyof typeof JOBS;

export interface FunctionAccess {
  /** dynamodb:<action> on the table's items (Query: on the base table's key, never an index). */
  readonly table: readonly TableAction[];
  /** dynamodb:Query on these indexes (never on the base table). */
  readonly query: readonly IndexName[];
  /** kms:<action> on the key that seals token values (shared/crypto/vault.ts). */
  readonly valueKey: readonly ValueKeyAction[];
  /** events:PutEvents on the service bus (shared/events/publish.ts). */
  readonly publish: boolean;
  /** kms:GenerateMac on the HMAC keys (shared/crypto/mac.ts): list cursors, value tags. */
  readonly macKey: boolean;
}

const access = (a: Partial<FunctionAccess>): FunctionAccess => ({ table: [], query: [], valueKey: [], publish: false, macKey: false, ...a });

export const NO_ACCESS = access({});

export const ACCESS: Record<RouteId | JobId, FunctionAccess> = {
  // Routes (shared/routes.ts ROUTES)
  health: NO_ACCESS,
  openapi: NO_ACCESS,
  me: access({ table: ['GetItem'] }),
  // PutItem: the token, and its activity-log entry (shared/store/audit.ts), as in every change below;
  // also the idempotency record. UpdateItem: completing that record; Decrypt: replaying its sealed
  // value; MAC: value tags.
  createToken: access({ table: ['GetItem', 'PutItem', 'UpdateItem'], valueKey: ['GenerateDataKey', 'Decrypt'], publish: true, macKey: true }),
  // MAC: list cursors.
  listTokens: access({ table: ['GetItem'], query: ['byOwner', 'byTenant'], macKey: true }),
  getToken: access({ table: ['GetItem'] }),
  tokenValue: access({ table: ['GetItem'], valueKey: ['Decrypt'] }),
  patchToken: access({ table: ['GetItem', 'UpdateItem', 'PutItem'], publish: true }),
  // PutItem also reserves the idempotency record, UpdateItem completes it; Decrypt: replaying its sealed value; MAC: value tags.
  renewToken: access({ table: ['GetItem', 'UpdateItem', 'PutItem'], valueKey: ['GenerateDataKey', 'Decrypt'], publish: true, macKey: true }),
  deleteToken: access({ table: ['GetItem', 'DeleteItem', 'PutItem'], publish: true }),
  // The caller's projection (GetItem); a token's entries (Query on the table), the tenant's or the owner's.
  // MAC: list cursors.
  listAudit: access({ table: ['GetItem', 'Query'], query: ['auditByOwner', 'auditByTenant'], macKey: true }),
  // The reported token (GetItem), its disable (UpdateItem), the activity entry (PutItem), TokenLeaked.
  reportLeaks: access({ table: ['GetItem', 'UpdateItem', 'PutItem'], publish: true }),
  // The caller and the token (GetItem), then the token's day counters (Query of USAGE#<id>).
  tokenUsage: access({ table: ['GetItem', 'Query'] }),
  exampleWhoami: NO_ACCESS,
  exampleEvents: NO_ACCESS,
  // Jobs (shared/routes.ts JOBS)
  // BatchGetItem: token + owner in one round trip; GetItem: legacy path; Query: the revocation
  // feed, once a second per warm container. It writes nothing.
  authorizer: access({ table: ['BatchGetItem', 'GetItem', 'Query'] }),
  // Projection (Get/Put), cascade over the owner's tokens (Query byOwner, Get + Update), TokenDisabled.
  userEvents: access({ table: ['GetItem', 'PutItem', 'UpdateItem'], query: ['byOwner'], publish: true }),
  legacyImport: access({ table: ['GetItem', 'PutItem'] }),
  // UpdateItem: the notice mark; GetItem + PutItem: the activity log's expiry entries.
  expiryNotices: access({ table: ['UpdateItem', 'GetItem', 'PutItem'], query: ['byExpiryDay'], publish: true }),
  // The week-later deletion's entry; the stream read itself is granted with the subscription.
  ttlRemovals: access({ table: ['PutItem'] }),
  // lastUsedAt on the token and the day's counters: conditional UpdateItem / ADD, nothing else.
  usage: access({ table: ['UpdateItem'] }),
};

/** Every IAM action a Tessera function can be granted; the infra tests hold policies to it. */
export function grantableActions(a: FunctionAccess): string[] {
  return [...new Set([
    ...a.table.map((x) => `dynamodb:${x}`),
    ...(a.query.length > 0 ? ['dynamodb:Query'] : []),
    ...a.valueKey.map((x) => `kms:${x}`),
    ...(a.publish ? ['events:PutEvents'] : []),
    ...(a.macKey ? ['kms:GenerateMac'] : []),
  ])];
}
