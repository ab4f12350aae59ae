// The EventBridge rule for user changes, as data: CDK deploys this pattern and the local bus
// matches events against the very same object.
import { USER_EVENT_TYPES } from '../domain/users.ts';

export const userEventPattern = (identitySource: string) => ({
  source: [identitySource],
  'detail-type': [...USER_EVENT_TYPES],
});

type Pattern = { [key: string]: readonly unknown[] | Pattern };

/** EventBridge's matching for the subset of patterns Tessera uses: exact values and nesting. */
export function matches(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    const got = event[key];
    if (Array.isArray(want)) return Array.isArray(got) ? got.some((g) => want.includes(g)) : want.includes(got);
    return got !== null && typeof got === 'object' && matches(want as Pattern, got as Record<string, unknown>);
  });
}
