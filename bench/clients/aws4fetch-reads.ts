// The reads of shared/store/reads.ts through aws4fetch's AwsClient (WebCrypto signing, global
// fetch), as the client comparison of the benchmark measures it. The authorizer uses
// shared/store/transport-light.ts: aws4fetch's signing algorithm on node:crypto and node:http,
// which costs a quarter of the CPU per read (BENCHMARKS.md).
import { unmarshall, marshall } from '@aws-sdk/util-dynamodb';
import { AwsClient } from 'aws4fetch';
import { getConfig, type Config } from '../../shared/config.ts';
import { UnavailableError } from '../../shared/errors.ts';
import type { Item, StoreReads } from '../../shared/store/reads.ts';

const messageOf = (json: Record<string, unknown>) => (typeof json.message === 'string' ? json.message : typeof json.Message === 'string' ? json.Message : '');

/** DynamoDB's error, by the name in its `__type` (e.g. ProvisionedThroughputExceededException). */
export class DynamoDBError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const THROTTLING = new Set([
  'ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'LimitExceededException', 'TooManyRequestsException',
]);
const RETRY_BASE_MS = 25;
const RETRY_CAP_MS = 1000;

const retryable = (e: unknown) =>
  !(e instanceof DynamoDBError) || e.status >= 500 || THROTTLING.has(e.name);

interface Client {
  config: Config;
  aws: AwsClient;
  url: string;
}
let client: Client | undefined;

function current(): Client {
  const config = getConfig();
  if (client?.config === config) return client;
  const env = process.env;
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) throw new UnavailableError('No AWS credentials in the environment.');
  client = {
    config,
    aws: new AwsClient({
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
      service: 'dynamodb',
      region: config.region,
      retries: 0, // retried here, on DynamoDB's own throttling answers too (400, not 429)
    }),
    url: config.storeEndpoint ?? env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL ?? `https://dynamodb.${config.region}.amazonaws.com`,
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
  const text = await res.text();
  const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  if (res.ok) return json;
  const type = typeof json.__type === 'string' ? json.__type : `HTTP${res.status}`;
  throw new DynamoDBError(type.slice(type.lastIndexOf('#') + 1), messageOf(json), res.status);
}

/** One DynamoDB call, with the SDK's attempt budget (TESSERA_SDK_MAX_ATTEMPTS). */
export async function call(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const c = current();
  const body = JSON.stringify(input);
  const attempts = c.config.sdk.maxAttempts;
  for (let attempt = 1; ; attempt++) {
    try {
      return await once(c, action, body);
    } catch (e) {
      if (attempt >= attempts || !retryable(e)) throw Object.assign(new UnavailableError(), { cause: e });
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** attempt)));
    }
  }
}

const table = () => getConfig().tableName;
const wire = (item: Item) => marshall(item, { removeUndefinedValues: true });
const plain = (item: unknown) => unmarshall(item as Parameters<typeof unmarshall>[0]) as Item;

export const aws4fetchReads: StoreReads = {
  async batchGet(keys, consistent) {
    const out = (await call('BatchGetItem', { RequestItems: { [table()]: { Keys: keys.map(wire), ConsistentRead: consistent } } })) as {
      Responses?: Record<string, unknown[]>;
      UnprocessedKeys?: Record<string, { Keys?: unknown[] }>;
    };
    return { items: (out.Responses?.[table()] ?? []).map(plain), unprocessed: (out.UnprocessedKeys?.[table()]?.Keys ?? []).map(plain) };
  },
  async get(key, consistent) {
    const out = (await call('GetItem', { TableName: table(), Key: wire(key), ConsistentRead: consistent })) as { Item?: unknown };
    return out.Item ? plain(out.Item) : undefined;
  },
  async query(q) {
    const out = (await call('Query', {
      TableName: table(),
      KeyConditionExpression: q.keyCondition,
      ExpressionAttributeValues: wire(q.values),
      ConsistentRead: q.consistent,
      ...(q.start ? { ExclusiveStartKey: wire(q.start) } : {}),
    })) as { Items?: unknown[]; LastEvaluatedKey?: unknown };
    return { items: (out.Items ?? []).map(plain), last: out.LastEvaluatedKey ? plain(out.LastEvaluatedKey) : undefined };
  },
};
