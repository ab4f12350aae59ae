// What a piece of code needs from AWS, as data, declared next to the code that makes the call:
// each store function (shared/store/*.ts), the vault (shared/crypto/vault.ts) and event
// publishing (shared/events/publish.ts) list their IAM needs; each domain operation lists the
// needs of the calls it makes; each route and job (infra/access.ts) composes its operations.
// CDK writes the policies from the result, and the local runtime's IAM (local/iam.ts) refuses
// whatever it omits, so a call added without its need fails a test instead of a deployment.
// No dependencies: handler bundles import this module.

/** Query here is on the base table's key; an index's Query is a `query` need. */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';
export type ValueKeyAction = 'GenerateDataKey' | 'Decrypt';

export type Need =
  /** dynamodb:<action> on the table's items. */
  | { readonly kind: 'table'; readonly action: TableAction }
  /** dynamodb:Query on one index (never on the base table). */
  | { readonly kind: 'query'; readonly index: string }
  /** kms:<action> on the key that seals token values, with the vault's encryption context. */
  | { readonly kind: 'valueKey'; readonly action: ValueKeyAction }
  /** events:PutEvents on the service bus. */
  | { readonly kind: 'publish' }
  /** kms:GenerateMac on the HMAC keys of the keyed MACs (shared/crypto/mac.ts). */
  | { readonly kind: 'macKey' };

export type Needs = readonly Need[];

export const tableNeed = (action: TableAction): Need => ({ kind: 'table', action });
export const queryNeed = (index: string): Need => ({ kind: 'query', index });
export const valueKeyNeed = (action: ValueKeyAction): Need => ({ kind: 'valueKey', action });
export const PUBLISH_NEED: Need = { kind: 'publish' };
export const MAC_NEED: Need = { kind: 'macKey' };

const keyOf = (n: Need) => (n.kind === 'table' || n.kind === 'valueKey' ? `${n.kind}:${n.action}` : n.kind === 'query' ? `query:${n.index}` : n.kind);

/** The needs of several calls, each once. */
export function needs(...parts: Needs[]): Needs {
  const seen = new Map<string, Need>();
  for (const part of parts) for (const n of part) if (!seen.has(keyOf(n))) seen.set(keyOf(n), n);
  return [...seen.values()];
}
