// The reads of shared/store/reads.ts through aws4fetch's AwsClient (WebCrypto signing, global
// fetch), as the client comparison of the benchmark measures it. The authorizer uses
// shared/store/transport-light.ts: aws4fetch's signing algorithm on node:crypto and node:http,
// which costs a quarter of the CPU per read (BENCHMARKS.md). Everything but the signing and the
// sending (credentials, endpoint, error names, retries, item shapes) is the light client's own.
import { AwsClient } from 'aws4fetch';
import { getConfig, type Config } from '../../shared/config.ts';
import type { StoreReads } from '../../shared/store/reads.ts';
import { answerOf, endpointOf, environmentCredentials, readsOver, withRetries } from '../../shared/store/transport-light.ts';

interface Client {
  config: Config;
  aws: AwsClient;
  url: string;
}
let client: Client | undefined;

function current(): Client {
  const config = getConfig();
  if (client?.config === config) return client;
  client = {
    config,
    aws: new AwsClient({
      ...environmentCredentials(),
      service: 'dynamodb',
      region: config.region,
      retries: 0, // retried by withRetries, on DynamoDB's own throttling answers too (400, not 429)
    }),
    url: endpointOf(config),
  };
  return client;
}

async function once(c: Client, action: string, body: string): Promise<Record<string, unknown>> {
  const res = await c.aws.fetch(c.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${action}` },
    body,
    signal: AbortSignal.timeout(c.config.sdk.requestTimeoutMs),
  });
  return answerOf(res.status, await res.text());
}

/** One DynamoDB call, with the SDK's attempt budget (TESSERA_SDK_MAX_ATTEMPTS). */
async function call(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const c = current();
  const body = JSON.stringify(input);
  return withRetries(() => once(c, action, body), c.config.sdk.maxAttempts);
}

export const aws4fetchReads: StoreReads = readsOver(call);
