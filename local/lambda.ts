// Builds the events API Gateway and EventBridge would hand a Lambda, and the context object.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'aws-lambda';
import { clock } from '../shared/clock.ts';

export function lambdaContext(functionName: string): Context {
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    out[name] = out[name] === undefined ? req.rawHeaders[i + 1] : `${out[name]},${req.rawHeaders[i + 1]}`;
  }
  return out;
}

/**
 * API Gateway HTTP API payload 2.0: repeated query parameters are joined with commas. Every key
 * is kept as sent, `__proto__` and `constructor` included, so the object has no prototype.
 */
export function queryOf(url: URL): Record<string, string> | undefined {
  const joined = new Map<string, string>();
  for (const [k, v] of url.searchParams) joined.set(k, joined.has(k) ? `${joined.get(k)},${v}` : v);
  if (joined.size === 0) return undefined;
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of joined) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

export function httpEventV2(args: {
  req: IncomingMessage;
  url: URL;
  routeKey: string;
  pathParameters?: Record<string, string>;
  body?: Buffer;
  authorizer?: Record<string, unknown>;
  requestId: string;
}) {
  const headers = headersOf(args.req);
  const textual = !args.body || /json|text|x-www-form-urlencoded/i.test(headers['content-type'] ?? 'application/json');
  const now = clock.now();
  return {
    version: '2.0',
    routeKey: args.routeKey,
    rawPath: args.url.pathname,
    rawQueryString: args.url.search.slice(1),
    headers,
    queryStringParameters: queryOf(args.url),
    pathParameters: args.pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: args.req.method ?? 'GET',
        path: args.url.pathname,
        protocol: `HTTP/${args.req.httpVersion}`,
        sourceIp: args.req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: args.requestId,
      routeKey: args.routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      ...(args.authorizer ? { authorizer: args.authorizer } : {}),
    },
    body: args.body && args.body.length ? (textual ? args.body.toString('utf8') : args.body.toString('base64')) : undefined,
    isBase64Encoded: Boolean(args.body && args.body.length && !textual),
  };
}
