// The local stand-in for API Gateway: the routes of shared/routes.ts, turned into payload 2.0
// events for the real handlers. JWT routes are verified first, as the HTTP API's JWT authorizer
// does (local/jwt.ts); Tessera-authorized routes go through the real authorizer handler. The
// local-only routes (local/local-routes.ts) and the console's files (local/static.ts) are served
// from the same origin; none of them exists in AWS.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { authorizerSettings, DEFAULT_AUTHORIZER_CACHE_SECONDS, EXAMPLE_API_CREDENTIALS, type AuthorizerSettings } from '../shared/authorizer-settings.ts';
import { getConfig } from '../shared/config.ts';
import { errorResponse } from '../shared/http/respond.ts';
import { ValidationError } from '../shared/errors.ts';
import { logger } from '../shared/log.ts';
import { ROUTE_LIST, routeKey, type RouteDef } from '../shared/routes.ts';
import type { LocalBus } from './bus.ts';
import type { JwtKeys } from './keys.ts';
import { EmulatedAuthorizer } from './authorizer-gateway.ts';
import { decodeSegment, send } from './http-io.ts';
import { verifyBearer } from './jwt.ts';
import { headersOf, httpEventV2, lambdaContext, queryOf } from './lambda.ts';
import { localRoute } from './local-routes.ts';
import { serveStatic } from './static.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyHandler = (event: any, context: any) => Promise<any>;

export interface GatewayDeps {
  handlers: Map<string, AnyHandler>;
  authorizer: AnyHandler;
  legacyImport: AnyHandler;
  bus: LocalBus;
  jwt: JwtKeys;
  /** Moves the clock and runs the TTL sweep and expiry notices. */
  advance: (seconds: number) => Promise<{ now: string; swept: number }>;
  webRoot?: string;
  /** How the example API calls the authorizer: the dev stack's settings unless a test asks otherwise. */
  exampleAuthorizer?: AuthorizerSettings;
}

/**
 * HTTP API's request body quota (10 MB); above it API Gateway answers 413 itself. The handlers'
 * own limits (64 KiB -> 413, leak reports 1 MiB -> 400) are lower.
 */
export const HTTP_API_BODY_LIMIT = 10 * 1024 * 1024;
/** Lambda's synchronous invocation payload limit: an event larger than this is refused by Lambda. */
export const LAMBDA_SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
const TOO_LARGE = { message: 'Request Entity Too Large' };

interface CompiledRoute {
  def: RouteDef & { id: string };
  pattern: RegExp;
  names: string[];
}

/** What one gateway holds between requests. */
interface Gateway {
  deps: GatewayDeps;
  routes: CompiledRoute[];
  exampleAuthorizer: EmulatedAuthorizer;
}

/** What API Gateway's authorization gives the event (`requestContext.authorizer`), or its refusal. */
type Authorization =
  | { allow: true; authorizer?: Record<string, unknown> }
  | { allow: false; status: number; body: unknown; headers?: Record<string, string> };

function compile(def: RouteDef & { id: string }): CompiledRoute {
  const names: string[] = [];
  const source = def.path
    .split('/')
    .map((segment) => {
      const param = segment.match(/^\{(\w+)\}$/);
      if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  return { def, pattern: new RegExp(`^${source}$`), names };
}

/** Writes a Lambda proxy result (payload 2.0 rules: a plain object becomes a 200 JSON body). */
function sendResult(res: ServerResponse, result: unknown) {
  if (result && typeof result === 'object' && 'statusCode' in result) {
    const r = result as { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean };
    res.writeHead(r.statusCode, { 'content-type': 'application/json', ...r.headers });
    res.end(r.body ? (r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body) : undefined);
    return;
  }
  send(res, 200, typeof result === 'string' ? result : JSON.stringify(result));
}

/**
 * Reads the whole request, as API Gateway does before it answers anything: a body over the quota
 * is still drained (not kept), so the answer never races the upload and the next request on the
 * same keep-alive connection is not reset.
 */
async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= HTTP_API_BODY_LIMIT) chunks.push(chunk as Buffer);
  }
  return size > HTTP_API_BODY_LIMIT ? 'too-large' : Buffer.concat(chunks);
}

/** API Gateway's side of the Tessera authorizer for the example API, from the construct's settings. */
function exampleAuthorizerOf(deps: GatewayDeps): EmulatedAuthorizer {
  return new EmulatedAuthorizer({
    settings: deps.exampleAuthorizer ?? authorizerSettings('http', EXAMPLE_API_CREDENTIALS, DEFAULT_AUTHORIZER_CACHE_SECONDS),
    invoke: async (event) => {
      try {
        return await deps.authorizer(event, lambdaContext('authorizer'));
      } catch (error) {
        logger.error('authorizer failed', { error: error as Error });
        throw error;
      }
    },
    now: () => getConfig().clock.now(),
    stage: '$default',
  });
}

/**
 * The route for a method and path, with its decoded path parameters; 'other-method' when the
 * path is a route's but the method is not.
 */
function matchRoute(routes: CompiledRoute[], method: string | undefined, pathname: string) {
  let pathMatched = false;
  for (const route of routes) {
    const m = pathname.match(route.pattern);
    if (!m) continue;
    pathMatched = true;
    if (route.def.method !== method) continue;
    return { route, params: Object.fromEntries(route.names.map((n, i) => [n, decodeSegment(m[i + 1])])) };
  }
  return pathMatched ? 'other-method' : undefined;
}

/** The route's authorization: none, a verified JWT's claims, or the Tessera authorizer's answer. */
async function authorize(gateway: Gateway, req: IncomingMessage, url: URL, def: RouteDef, key: string, requestId: string): Promise<Authorization> {
  if (def.auth === 'jwt') {
    const claims = await verifyBearer(req.headers.authorization, gateway.deps.jwt);
    if (!claims) return { allow: false, status: 401, body: { message: 'Unauthorized' }, headers: { 'www-authenticate': 'Bearer' } };
    return { allow: true, authorizer: { jwt: { claims, scopes: null } } };
  }
  if (def.auth === 'tessera') {
    const answer = await gateway.exampleAuthorizer.authorize({
      method: req.method ?? 'GET',
      path: url.pathname,
      routeKey: key,
      headers: headersOf(req),
      query: queryOf(url),
      rawQueryString: url.search.slice(1),
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      requestId,
      requestContext: httpEventV2({ req, url, routeKey: key, requestId }).requestContext,
    });
    return answer.allow ? { allow: true, authorizer: { lambda: answer.context } } : answer;
  }
  return { allow: true };
}

/** Answers a route of shared/routes.ts through its handler; false when no route has the path. */
async function apiRoute(gateway: Gateway, req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, requestId: string): Promise<boolean> {
  const found = matchRoute(gateway.routes, req.method, url.pathname);
  if (!found) return false;
  if (found === 'other-method') {
    send(res, 404, { message: 'Not Found' }); // API Gateway: no route for this method
    return true;
  }
  const { def } = found.route;
  const key = routeKey(def);
  const auth = await authorize(gateway, req, url, def, key, requestId);
  if (!auth.allow) {
    send(res, auth.status, auth.body, auth.headers);
    return true;
  }
  const event = httpEventV2({ req, url, routeKey: key, pathParameters: found.params, body, authorizer: auth.authorizer, requestId });
  if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_SYNC_PAYLOAD_LIMIT) {
    // Lambda refuses the invocation (RequestEntityTooLargeException); API Gateway answers 413.
    send(res, 413, TOO_LARGE);
    return true;
  }
  sendResult(res, await gateway.deps.handlers.get(def.id)!(event, lambdaContext(def.id)));
  return true;
}

/** One request: the body under the quota, then the local routes, the API's routes, the console's files. */
async function handleRequest(gateway: Gateway, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = `req_${randomUUID()}`;
  try {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      throw new ValidationError('The request URL is malformed.');
    }
    const body = await readBody(req);
    if (body === 'too-large') {
      send(res, 413, TOO_LARGE);
      return;
    }
    if (await localRoute(gateway.deps, req, res, url, body, requestId)) return;
    if (await apiRoute(gateway, req, res, url, body, requestId)) return;
    if (serveStatic(gateway.deps.webRoot, req, res, url)) return;
    send(res, 404, { message: 'Not Found' });
  } catch (error) {
    const r = errorResponse(error, requestId);
    if (!res.headersSent) send(res, r.statusCode, r.body, r.headers);
    else res.end();
  }
}

export function createGateway(deps: GatewayDeps): Server {
  const gateway: Gateway = { deps, routes: ROUTE_LIST.map(compile), exampleAuthorizer: exampleAuthorizerOf(deps) };
  // oxlint-disable-next-line typescript/no-misused-promises -- handleRequest catches every error and answers it
  return createServer((req, res) => handleRequest(gateway, req, res));
}
