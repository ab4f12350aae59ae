// What reaches the store while a test acts, seen on the local store proxy, so it covers every
// client (the SDK of the management functions, aws4fetch of the authorizer) in any thread.
import { dynamoError, type StoreCall } from '../../local/store-proxy.ts';
import type { TestApp } from './app.ts';

export interface SeenCall {
  action: string;
  /** A Query of the revocation feed (the authorizer's once-a-second look). */
  feed: boolean;
}

const isFeed = (call: StoreCall) => call.action === 'Query' && call.body?.ExpressionAttributeValues?.[':pk']?.S === 'REVOKED';

/**
 * The calls one function (local/identities.ts) sent while `act` runs, in order. Only that
 * function's: other functions' calls arrive in the same window too (the usage function's writes
 * for log lines of earlier requests, which CloudWatch Logs delivers a moment later; the sweeper).
 */
export async function storeCallsDuring(app: TestApp, functionId: string, act: () => Promise<unknown>): Promise<SeenCall[]> {
  const seen: SeenCall[] = [];
  const remove = app.storeProxy.use(async (call, next) => {
    if (call.functionId === functionId) seen.push({ action: call.action, feed: isFeed(call) });
    return next();
  });
  try {
    await act();
  } finally {
    remove();
  }
  return seen;
}

/** Answers the calls `failing` picks with DynamoDB's throttling error until the returned function is called. */
export function failStoreCalls(app: TestApp, failing: (call: StoreCall) => boolean): () => void {
  return app.storeProxy.use(async (call, next) =>
    failing(call) ? dynamoError(400, 'com.amazon.coral.availability#ThrottlingException', 'Rate of requests exceeds the allowed throughput.') : next(),
  );
}

export const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
