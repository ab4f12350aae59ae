// The reads of shared/store/reads.ts for the authorizer, without SDK v3: SigV4 (sigv4.ts, held to
// aws4fetch's signer by a test) over a keep-alive node:http(s) connection. It keeps what the SDK
// gave the hot path: the environment's credentials with their session token (as Lambda hands out
// a role's session), the endpoint the SDK would use, a timeout per attempt, bounded retries with
// full jitter on throttling, 5xx and network failures (TESSERA_SDK_* settings), and DynamoDB's
// error names (the cause of the UnavailableError a failed read becomes). ~10 KB bundled against
// ~200 KB; a quarter of the CPU of aws4fetch's AwsClient per read (BENCHMARKS.md).
// Its credentials, endpoint, error names, retries and item shapes are exported for the benchmark's
// aws4fetch client (bench/clients/aws4fetch-reads.ts): the clients compared differ only in signing
// and sending.
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { getConfig, type Config } from '../config.ts';
import { authorizationDefect } from '../defects.ts';
import { UnavailableError } from '../errors.ts';
import type { Item, StoreReads } from './reads.ts';
import { signPost, type Credentials } from './sigv4.ts';

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

/** Throttling, 5xx and failures without an answer (network, timeout) are retried; the rest is final. */
const retryable = (e: unknown) => !(e instanceof DynamoDBError) || e.status >= 500 || THROTTLING.has(e.name);

/** The environment's credentials, with the session token Lambda hands out with a role's. */
export function environmentCredentials(): Credentials {
  const env = process.env;
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) throw new UnavailableError('No AWS credentials in the environment.');
  return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/** The endpoint the SDK would use: the local store, the endpoint variables, else the region's. */
export function endpointOf(config: Config): string {
  const env = process.env;
  return config.storeEndpoint ?? env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL ?? `https://dynamodb.${config.region}.amazonaws.com`;
}

/** An answer's JSON body, or DynamoDB's error when its status is not 2xx. */
export function answerOf(status: number, text: string): Record<string, unknown> {
  const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  if (status >= 200 && status < 300) return json;
  const type = typeof json.__type === 'string' ? json.__type : `HTTP${status}`;
  throw new DynamoDBError(type.slice(type.lastIndexOf('#') + 1), messageOf(json), status);
}

/** One DynamoDB call by `attempt`, within the SDK's attempt budget (TESSERA_SDK_MAX_ATTEMPTS). */
export async function withRetries(attempt: () => Promise<Record<string, unknown>>, maxAttempts: number): Promise<Record<string, unknown>> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      // A refusal by IAM is a deployment defect (500), as in the SDK transport (shared/defects.ts).
      const defect = authorizationDefect(e, 'dynamodb');
      if (defect) throw defect;
      if (n >= maxAttempts || !retryable(e)) throw Object.assign(new UnavailableError(), { cause: e });
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** n)));
    }
  }
}

interface Client {
  config: Config;
  credentials: Credentials;
  url: URL;
  send: typeof httpRequest;
  agent: HttpAgent;
}
let client: Client | undefined;

function current(): Client {
  const config = getConfig();
  if (client?.config === config) return client;
  client?.agent.destroy();
  const credentials = environmentCredentials();
  const url = new URL(endpointOf(config));
  const tls = url.protocol === 'https:';
  client = {
    config,
    credentials,
    url,
    send: tls ? (httpsRequest as typeof httpRequest) : httpRequest,
    agent: tls ? new HttpsAgent({ keepAlive: true, maxSockets: 64 }) : new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  };
  return client;
}

function once(c: Client, action: string, body: string): Promise<Record<string, unknown>> {
  const headers = signPost({
    host: c.url.host,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${action}` },
    body,
    credentials: c.credentials,
    region: c.config.region,
    service: 'dynamodb',
  });
  return new Promise((resolve, reject) => {
    const req = c.send(
      { host: c.url.hostname, port: c.url.port, path: '/', method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: c.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          try {
            resolve(answerOf(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(e as Error);
          }
        });
      },
    );
    // The whole attempt, connection included, within the request timeout.
    const timer = setTimeout(() => req.destroy(new Error(`DynamoDB ${action}: no answer within ${c.config.sdk.requestTimeoutMs} ms`)), c.config.sdk.requestTimeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(body);
  });
}

/** One DynamoDB call, with the SDK's attempt budget (TESSERA_SDK_MAX_ATTEMPTS). */
export async function call(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const c = current();
  const body = JSON.stringify(input);
  return withRetries(() => once(c, action, body), c.config.sdk.maxAttempts);
}

const table = () => getConfig().tableName;
const wire = (item: Item) => marshall(item, { removeUndefinedValues: true });
const plain = (item: unknown) => unmarshall(item as Parameters<typeof unmarshall>[0]) as Item;

/** The reads of shared/store/reads.ts over one client's `call`. */
export function readsOver(send: (action: string, input: Record<string, unknown>) => Promise<Record<string, unknown>>): StoreReads {
  return {
    async batchGet(keys, consistent) {
      const out = (await send('BatchGetItem', { RequestItems: { [table()]: { Keys: keys.map(wire), ConsistentRead: consistent } } })) as {
        Responses?: Record<string, unknown[]>;
        UnprocessedKeys?: Record<string, { Keys?: unknown[] }>;
      };
      return { items: (out.Responses?.[table()] ?? []).map(plain), unprocessed: (out.UnprocessedKeys?.[table()]?.Keys ?? []).map(plain) };
    },
    async get(key, consistent) {
      const out = (await send('GetItem', { TableName: table(), Key: wire(key), ConsistentRead: consistent })) as { Item?: unknown };
      return out.Item ? plain(out.Item) : undefined;
    },
    async query(q) {
      const out = (await send('Query', {
        TableName: table(),
        KeyConditionExpression: q.keyCondition,
        ExpressionAttributeValues: wire(q.values),
        ConsistentRead: q.consistent,
        ...(q.start ? { ExclusiveStartKey: wire(q.start) } : {}),
      })) as { Items?: unknown[]; LastEvaluatedKey?: unknown };
      return { items: (out.Items ?? []).map(plain), last: out.LastEvaluatedKey ? plain(out.LastEvaluatedKey) : undefined };
    },
  };
}

// Pure: a bundle that takes only the helpers above (the benchmark's aws4fetch client) leaves this client out.
export const lightReads: StoreReads = /* @__PURE__ */ readsOver(call);
