// What each function may do, as data derived from where its code calls AWS: every store function,
// the vault and event publishing declare their needs next to the call (shared/grants.ts), each
// domain operation composes the needs of its calls, and each route and job below composes its
// operations. TesseraFunction.grantAccess turns an entry into IAM statements; the local runtime's
// IAM (local/iam.ts) refuses whatever an entry omits; test/infra checks that the synthesized
// policies say exactly this.
import { ACTOR_NEEDS } from '../shared/domain/actor.ts';
import { AUDIT_OPERATION_NEEDS } from '../shared/domain/audit.ts';
import { EXPIRY_OPERATION_NEEDS } from '../shared/domain/expiry.ts';
import { LEAK_REPORT_NEEDS } from '../shared/domain/leaks.ts';
import { LEGACY_IMPORT_NEEDS } from '../shared/domain/legacy.ts';
import { ME_NEEDS } from '../shared/domain/me.ts';
import { TTL_REMOVAL_NEEDS } from '../shared/domain/removals.ts';
import { USAGE_OPERATION_NEEDS } from '../shared/domain/usage.ts';
import { TOKEN_OPERATION_NEEDS as T } from '../shared/domain/tokens.ts';
import { USER_OPERATION_NEEDS } from '../shared/domain/users.ts';
import { VERIFY_NEEDS } from '../shared/domain/verify.ts';
import { KMS_ENCRYPTION_CONTEXT } from '../shared/crypto/vault.ts';
import { needs, type Needs, type TableAction, type ValueKeyAction } from '../shared/grants.ts';
import { JOBS, type RouteId } from '../shared/routes.ts';
import { TABLE, type IndexName } from '../shared/store/table.ts';

export type { TableAction, ValueKeyAction };
export type JobId = keyof typeof JOBS;
export type FunctionId = RouteId | JobId;

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

const TABLE_ORDER: TableAction[] = ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'];
const INDEX_ORDER = TABLE.indexes.map((i) => i.name) as IndexName[];

/** A function's access from the needs of the operations it runs, in a stable order. */
export function accessOf(...parts: Needs[]): FunctionAccess {
  const all = needs(...parts);
  const indexes = all.flatMap((n) => (n.kind === 'query' ? [n.index] : []));
  for (const i of indexes) if (!(INDEX_ORDER as string[]).includes(i)) throw new Error(`unknown index ${i}`);
  return {
    table: TABLE_ORDER.filter((a) => all.some((n) => n.kind === 'table' && n.action === a)),
    query: INDEX_ORDER.filter((i) => indexes.includes(i)),
    valueKey: (['GenerateDataKey', 'Decrypt'] as const).filter((a) => all.some((n) => n.kind === 'valueKey' && n.action === a)),
    publish: all.some((n) => n.kind === 'publish'),
    macKey: all.some((n) => n.kind === 'macKey'),
  };
}

export const NO_ACCESS = accessOf();

/** Each route and job, and the operations its handler runs (functions/*.ts). */
export const ACCESS: Record<FunctionId, FunctionAccess> = {
  // Routes (shared/routes.ts ROUTES)
  health: NO_ACCESS,
  openapi: NO_ACCESS,
  me: accessOf(ME_NEEDS),
  createToken: accessOf(ACTOR_NEEDS, T.createToken),
  listTokens: accessOf(ACTOR_NEEDS, T.listTokens),
  getToken: accessOf(ACTOR_NEEDS, T.getTokenJson),
  tokenValue: accessOf(ACTOR_NEEDS, T.revealValue),
  patchToken: accessOf(ACTOR_NEEDS, T.patchToken),
  renewToken: accessOf(ACTOR_NEEDS, T.renewToken),
  deleteToken: accessOf(ACTOR_NEEDS, T.deleteToken),
  listAudit: accessOf(ACTOR_NEEDS, AUDIT_OPERATION_NEEDS.listActivity),
  reportLeaks: accessOf(LEAK_REPORT_NEEDS),
  tokenUsage: accessOf(ACTOR_NEEDS, USAGE_OPERATION_NEEDS.tokenUsage),
  exampleWhoami: NO_ACCESS,
  exampleEvents: NO_ACCESS,
  // Jobs (shared/routes.ts JOBS)
  authorizer: accessOf(VERIFY_NEEDS),
  userEvents: accessOf(USER_OPERATION_NEEDS.applyUserEvent),
  legacyImport: accessOf(LEGACY_IMPORT_NEEDS),
  expiryNotices: accessOf(EXPIRY_OPERATION_NEEDS.sendExpiryNotices, EXPIRY_OPERATION_NEEDS.recordExpiries),
  // The week-later deletion's entry; the stream read itself is granted with the subscription.
  ttlRemovals: accessOf(TTL_REMOVAL_NEEDS),
  // lastUsedAt on the token and the day's counters, from the authorizer's log lines.
  usage: accessOf(USAGE_OPERATION_NEEDS.recordUsage),
};

/** Every IAM action a function is granted, as IAM names it. */
export function grantableActions(a: FunctionAccess): string[] {
  return [...new Set([
    ...a.table.map((x) => `dynamodb:${x}`),
    ...(a.query.length > 0 ? ['dynamodb:Query'] : []),
    ...a.valueKey.map((x) => `kms:${x}`),
    ...(a.publish ? ['events:PutEvents'] : []),
    ...(a.macKey ? ['kms:GenerateMac'] : []),
  ])];
}

/** The ARNs a policy names (CDK tokens in the stack, plain strings in the local runtime). */
export interface ResourceArns {
  readonly table: string;
  readonly valueKey: string;
  readonly bus: string;
  /** The HMAC keys, newest (signing) first. */
  readonly macKeys: readonly string[];
}

/** One identity-policy statement, as data. */
export interface PolicyStatementData {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * The statements of a function's policy: what CDK writes (TesseraFunction.grantAccess) and what
 * the local runtime's IAM evaluates (local/iam.ts), so the two are one piece of data.
 */
export function statementsOf(access: FunctionAccess, arns: ResourceArns): PolicyStatementData[] {
  const out: PolicyStatementData[] = [];
  if (access.table.length > 0) out.push({ sid: 'TableItems', actions: access.table.map((a) => `dynamodb:${a}`), resources: [arns.table] });
  if (access.query.length > 0) {
    out.push({ sid: 'QueryIndexes', actions: ['dynamodb:Query'], resources: access.query.map((index) => `${arns.table}/index/${index}`) });
  }
  if (access.valueKey.length > 0) {
    out.push({
      sid: 'ValueKey',
      actions: access.valueKey.map((a) => `kms:${a}`),
      resources: [arns.valueKey],
      // Only data keys made for sealing token values (shared/crypto/vault.ts).
      conditions: { StringEquals: Object.fromEntries(Object.entries(KMS_ENCRYPTION_CONTEXT).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])) },
    });
  }
  if (access.publish) out.push({ sid: 'PublishDomainEvents', actions: ['events:PutEvents'], resources: [arns.bus] });
  // One GenerateMac of a fixed message per key and container derives the MAC keys.
  if (access.macKey) out.push({ sid: 'MacKeys', actions: ['kms:GenerateMac'], resources: [...arns.macKeys] });
  return out;
}
