// API Gateway events for the handlers under test: the HTTP API (payload 2.0) REQUEST authorizer
// event, and HTTP API route events carrying the claims the JWT authorizer would have checked.
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';

export const EXAMPLE_ROUTE = 'GET /example/events';

export function authorizerEvent(value: string, routeKey = EXAMPLE_ROUTE): APIGatewayRequestAuthorizerEventV2 {
  const [method, path] = routeKey.split(' ');
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:us-east-1:123456789012:api1234/$default/${method}${path}`,
    identitySource: [`Bearer ${value}`],
    routeKey,
    rawPath: path,
    rawQueryString: '',
    cookies: [],
    headers: { authorization: `Bearer ${value}`, host: 'api.example.com', 'user-agent': 'bench' },
    queryStringParameters: {},
    requestContext: {
      accountId: '123456789012', apiId: 'api1234', domainName: 'api.example.com', domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'bench', routeKey, stage: '$default', time: '', timeEpoch: Date.now(),
    },
    pathParameters: {},
    stageVariables: {},
  } as APIGatewayRequestAuthorizerEventV2;
}

let requestCounter = 0;

export function routeEvent(
  user: { tenantId: string; userId: string },
  routeKey: string,
  options: { body?: unknown; query?: Record<string, string> } = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const [method, path] = routeKey.split(' ');
  const requestId = `bench-${++requestCounter}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { 'content-type': 'application/json', host: 'api.example.com' },
    queryStringParameters: options.query,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012', apiId: 'api1234', domainName: 'api.example.com', domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId, routeKey, stage: '$default', time: '', timeEpoch: Date.now(),
      authorizer: {
        principalId: '', integrationLatency: 0,
        jwt: { claims: { sub: user.userId, tenant_id: user.tenantId }, scopes: [] },
      },
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}
