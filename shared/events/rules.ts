// Event patterns as data: the EventBridge rule for user changes, and the Lambda event filter of
// the table's stream subscription. CDK deploys these objects (infra/tessera-stack.ts); the local
// bus and the local stream delivery match events against the very same ones. A leaf: it imports
// nothing.

/** What the identity system sends (rules.md §5.1). */
export const USER_EVENT_TYPES = ['UserChanged', 'UserDeleted'] as const;

export const userEventPattern = (identitySource: string) => ({
  source: [identitySource],
  'detail-type': [...USER_EVENT_TYPES],
});

/**
 * The stream subscription's filter: only DynamoDB's own TTL deletions of token items, as AWS
 * marks them (userIdentity Service / dynamodb.amazonaws.com), reach the ttl-removals function.
 */
export const ttlRemovalPattern = {
  eventName: ['REMOVE'],
  userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
  dynamodb: { OldImage: { type: { S: ['token'] } } },
} as const;

type Pattern = { [key: string]: readonly unknown[] | Pattern };

/** EventBridge's matching for the subset of patterns Tessera uses: exact values and nesting. */
export function matches(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    const got = event[key];
    if (Array.isArray(want)) return Array.isArray(got) ? got.some((g) => want.includes(g)) : want.includes(got);
    return got !== null && typeof got === 'object' && matches(want as Pattern, got as Record<string, unknown>);
  });
}
