// Each function's memory and timeout, as plain data: CDK (infra/tessera-stack.ts) deploys them,
// and the local runtime gives its execution environments the same (local/function-env.ts).
import type { RouteDef } from '../shared/routes.ts';
import type { JobId } from './access.ts';

export interface Sizing {
  readonly memorySize: number;
  readonly timeoutSeconds: number;
}

export const ROUTE_SIZING: Sizing = { memorySize: 512, timeoutSeconds: 10 };
/** The example API's routes (dev only). */
export const EXAMPLE_ROUTE_SIZING: Sizing = { memorySize: 256, timeoutSeconds: 5 };
export const JOB_SIZING: Record<JobId, Sizing> = {
  // The hot path: more memory is more CPU for hashing and a shorter cold start.
  authorizer: { memorySize: 1024, timeoutSeconds: 10 },
  // A cascade over 10,000 tokens must finish inside one invocation (rules.md §1.10).
  userEvents: { memorySize: 1024, timeoutSeconds: 300 },
  // Up to 10,000 records per call (shared/domain/legacy.ts), two store calls each.
  legacyImport: { memorySize: 1024, timeoutSeconds: 900 },
  expiryNotices: { memorySize: 512, timeoutSeconds: 300 },
  // A batch of up to 100 stream records, one PutItem each.
  ttlRemovals: { memorySize: 256, timeoutSeconds: 60 },
  // One delivered batch (up to 10,000 lines) is a few hundred single-item writes.
  usage: { memorySize: 512, timeoutSeconds: 60 },
};

/** The sizing of a function by id: a job's own, else its route's. */
export function sizingOf(functionId: string, api?: RouteDef['api']): Sizing {
  if (functionId in JOB_SIZING) return JOB_SIZING[functionId as JobId];
  return api === 'example' ? EXAMPLE_ROUTE_SIZING : ROUTE_SIZING;
}
