// The one DynamoDB client: explicit timeouts, bounded retries with jitter (the SDK's standard
// strategy), keep-alive. Store failures become UnavailableError (503); conditional-check
// failures become ConditionFailed, which the repositories turn into domain answers; an
// authorization refusal is a deployment defect (500, logged once: shared/defects.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { getConfig } from '../config.ts';
import { authorizationDefect } from '../defects.ts';
import { DeploymentDefectError, UnavailableError } from '../errors.ts';

let doc: DynamoDBDocumentClient | undefined;

export function store(): DynamoDBDocumentClient {
  if (doc) return doc;
  const config = getConfig();
  const base = new DynamoDBClient({
    region: config.region,
    endpoint: config.storeEndpoint,
    maxAttempts: config.sdk.maxAttempts,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: config.sdk.connectTimeoutMs,
      requestTimeout: config.sdk.requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    }),
  });
  doc = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
  return doc;
}

/** Drops the client (tests and the local runtime after a config change). */
export function resetStore(): void {
  doc?.destroy();
  doc = undefined;
}

export class ConditionFailed extends Error {
  constructor(readonly item?: Record<string, unknown>) {
    super('condition failed');
  }
}

/**
 * Runs `attempt` until it does not lose a conditional write, `times` runs at most; each run
 * re-reads what it changes, so concurrent changes serialize. `attempt` gets its run number (1
 * first). When the last run loses too, `exhausted()` is thrown, or the ConditionFailed itself.
 */
export async function retryOnConflict<T>(times: number, attempt: (run: number) => Promise<T>, exhausted?: () => Error): Promise<T> {
  for (let run = 1; ; run++) {
    try {
      return await attempt(run);
    } catch (e) {
      if (!(e instanceof ConditionFailed)) throw e;
      if (run >= times) throw exhausted?.() ?? e;
    }
  }
}

const isConditionFailure = (e: unknown) =>
  e instanceof Error && (e.name === 'ConditionalCheckFailedException' || e.name === 'TransactionCanceledException');

/** Runs one store call and maps its failures into the closed error set. */
export async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof ConditionFailed || e instanceof UnavailableError || e instanceof DeploymentDefectError) throw e;
    if (isConditionFailure(e)) throw new ConditionFailed((e as { Item?: Record<string, unknown> }).Item);
    const defect = authorizationDefect(e, 'dynamodb');
    if (defect) throw defect;
    throw new UnavailableError(undefined, 1);
  }
}
