// What a verification decides (rules.md §4.3): the credential it was given, and an acceptance
// with its grant or a refusal with its reason. A leaf: the authorizer's event handling, the route
// permissions and the usage line read these types without importing the verification itself.

export type Credential = { kind: 'value'; value: string } | { kind: 'legacy'; uuid: string; secret: string };

export type DenyReason =
  | 'malformed'
  /** Well formed, but its tag was not made by this deployment: refused without a read. */
  | 'forged'
  | 'unknown'
  | 'mismatch'
  | 'disabled'
  | 'expired'
  | 'owner_inactive'
  | 'no_permissions'
  | 'permission_missing'
  | 'network'
  | 'network_unknown';

export interface Grant {
  tenantId: string;
  userId: string;
  tokenId: string;
  permissions: string[];
  /** The token's source networks; absent when unrestricted. Checked per request, after the cache. */
  allowedCidrs?: string[];
}

/**
 * validUntil: when the acceptance ends by itself (expiry, end of a grace period); no cache outlives
 * it. A refusal names the token when the credential matched a stored one, for its usage counters.
 */
export type Decision = { allow: true; grant: Grant; validUntil?: number } | { allow: false; reason: DenyReason; tokenId?: string };
