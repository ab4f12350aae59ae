// The local stand-in for API Gateway: the routes of shared/routes.ts, turned into payload 2.0
// events for the real handlers. JWT routes are verified with jose first, as the HTTP API's JWT
// authorizer does, and get the same requestContext.authorizer.jwt.claims; Tessera-authorized
// routes go through the real authorizer handler. Local-only routes (/_local/*) and the console
// page are served here too; none of them exists in AWS.
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { z } from 'zod';
import { authorizerSettings, DEFAULT_AUTHORIZER_CACHE_SECONDS, EXAMPLE_API_CREDENTIALS, type AuthorizerSettings } from '../shared/authorizer-settings.ts';
import { getConfig } from '../shared/config.ts';
import { validate } from '../shared/http/middleware.ts';
import { errorResponse } from '../shared/http/respond.ts';
import { AppError, ValidationError } from '../shared/errors.ts';
import { logger } from '../shared/log.ts';
import { LegacyImportBody } from '../shared/domain/legacy.ts';
import { ROUTE_LIST, routeKey, type RouteDef } from '../shared/routes.ts';
import type { LocalBus } from './bus.ts';
import type { JwtKeys } from './keys.ts';
import { EmulatedAuthorizer } from './authorizer-gateway.ts';
import { headersOf, httpEventV2, lambdaContext, queryOf } from './lambda.ts';
import { DEMO_USERS } from './seed.ts';

const DEMO_SIGN_IN = DEMO_USERS.map(({ tenantId, userId, role, authMethod }) => ({ tenantId, userId, role, authMethod }));

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

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ValidationError('The path is not validly percent-encoded.');
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined || body === '' ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
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

/**
 * How API Gateway's JWT authorizer hands claims to the integration: every value a string, arrays
 * as `[a b]` and objects as `map[k:v]` (Go's formatting), numbers and booleans as their text.
 */
export function claimText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(claimText).join(' ')}]`;
  if (value && typeof value === 'object') {
    return `map[${Object.keys(value).sort().map((k) => `${k}:${claimText((value as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(value);
}

const LoginBody = z.strictObject({ tenantId: z.string().min(1).max(128), userId: z.string().min(1).max(128) });
const EventBody = z.strictObject({ detailType: z.string().min(1).max(128), detail: z.unknown(), source: z.string().max(256).optional() });
const TimeBody = z.strictObject({ advanceSeconds: z.number().finite().min(0).max(10 * 365 * 86400) });

function parseJson<S extends z.ZodType>(schema: S, body: Buffer): z.output<S> {
  let json: unknown;
  try {
    json = body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    throw new ValidationError('The body is not valid JSON.');
  }
  return validate(schema, json, 'body');
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon',
};

export function createGateway(deps: GatewayDeps): Server {
  const routes = ROUTE_LIST.map(compile);
  // API Gateway's side of the Tessera authorizer for the example API, from the construct's settings.
  const exampleAuthorizer = new EmulatedAuthorizer({
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

  async function localRoute(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, requestId: string): Promise<boolean> {
    const key = `${req.method} ${url.pathname}`;
    const { clock, jwt } = getConfig();
    switch (key) {
      case 'POST /_local/login': {
        const { tenantId, userId } = parseJson(LoginBody, body);
        const iat = Math.floor(clock.now() / 1000);
        const accessToken = await new SignJWT({ tenant_id: tenantId, scope: 'tessera' })
          .setProtectedHeader({ alg: 'ES256', kid: deps.jwt.kid, typ: 'JWT' })
          .setSubject(userId)
          .setIssuer(jwt.issuer)
          .setAudience(jwt.audience)
          .setIssuedAt(iat)
          .setNotBefore(iat)
          .setExpirationTime(iat + 8 * 3600)
          .setJti(randomUUID())
          .sign(deps.jwt.privateKey);
        send(res, 200, { accessToken, tokenType: 'Bearer', expiresIn: 8 * 3600 });
        return true;
      }
      case 'GET /config.json':
        // What a deployed console page gets from CDK; locally it talks to this origin and offers
        // the demo users, which only this local file names (the page's bundle carries none).
        send(res, 200, { apiBase: '', localSignIn: true, environment: 'local', demoUsers: DEMO_SIGN_IN }, { 'cache-control': 'no-cache' });
        return true;
      case 'GET /_local/jwks.json':
        send(res, 200, { keys: [deps.jwt.publicJwk] });
        return true;
      case 'POST /_local/events': {
        const { detailType, detail, source } = parseJson(EventBody, body);
        try {
          const out = await deps.bus.deliver(detailType, detail, source);
          send(res, 200, out.matched ? { delivered: true, result: out.result } : { delivered: false, reason: 'no rule matched' });
        } catch (error) {
          if (error instanceof AppError && error.code === 'VALIDATION') {
            throw new ValidationError(`${error.message} The event went to the dead-letter queue; nothing was changed.`, error.details?.fields);
          }
          throw error;
        }
        return true;
      }
      case 'GET /_local/events':
        send(res, 200, { events: deps.bus.published, deadLetters: deps.bus.deadLetters });
        return true;
      case 'POST /_local/time': {
        const { advanceSeconds } = parseJson(TimeBody, body);
        send(res, 200, await deps.advance(advanceSeconds));
        return true;
      }
      case 'POST /_local/legacy-import': {
        const input = parseJson(LegacyImportBody, body);
        send(res, 200, await deps.legacyImport(input, lambdaContext('legacy-import')));
        return true;
      }
    }
    if (url.pathname.startsWith('/_local/')) {
      send(res, 404, { error: { code: 'NOT_FOUND', message: 'No such local route.', requestId } });
      return true;
    }
    return false;
  }

  async function verifyJwt(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
    const m = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i);
    if (!m) return undefined;
    const { clock, jwt } = getConfig();
    try {
      const { payload } = await jwtVerify(m[1], deps.jwt.publicKey, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: ['ES256'],
        currentDate: new Date(clock.now()),
        requiredClaims: ['sub', 'exp'],
      });
      return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, claimText(v)]));
    } catch (e) {
      if (e instanceof joseErrors.JOSEError) return undefined;
      throw e;
    }
  }

  async function apiRoute(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, requestId: string): Promise<boolean> {
    let found: { route: CompiledRoute; params: Record<string, string> } | undefined;
    let pathMatched = false;
    for (const route of routes) {
      const m = url.pathname.match(route.pattern);
      if (!m) continue;
      pathMatched = true;
      if (route.def.method !== req.method) continue;
      found = { route, params: Object.fromEntries(route.names.map((n, i) => [n, decodeSegment(m[i + 1])])) };
      break;
    }
    if (!found) {
      if (!pathMatched) return false;
      send(res, 404, { message: 'Not Found' }); // API Gateway: no route for this method
      return true;
    }
    const { def } = found.route;
    const key = routeKey(def);
    const handler = deps.handlers.get(def.id)!;
    let authorizer: Record<string, unknown> | undefined;
    if (def.auth === 'jwt') {
      const claims = await verifyJwt(req);
      if (!claims) {
        send(res, 401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer' });
        return true;
      }
      authorizer = { jwt: { claims, scopes: null } };
    } else if (def.auth === 'tessera') {
      const answer = await exampleAuthorizer.authorize({
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
      if (!answer.allow) {
        send(res, answer.status, answer.body);
        return true;
      }
      authorizer = { lambda: answer.context };
    }
    const event = httpEventV2({ req, url, routeKey: key, pathParameters: found.params, body, authorizer, requestId });
    if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_SYNC_PAYLOAD_LIMIT) {
      // Lambda refuses the invocation (RequestEntityTooLargeException); API Gateway answers 413.
      send(res, 413, TOO_LARGE);
      return true;
    }
    sendResult(res, await handler(event, lambdaContext(def.id)));
    return true;
  }

  function staticFile(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (!deps.webRoot || req.method !== 'GET' || !existsSync(deps.webRoot)) return false;
    const root = resolve(deps.webRoot);
    const wanted = url.pathname === '/' ? '/index.html' : url.pathname;
    const file = normalize(join(root, decodeSegment(wanted)));
    if (!(file === root || file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) return false;
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
    });
    res.end(readFileSync(file));
    return true;
  }

  // oxlint-disable-next-line typescript/no-misused-promises -- the body catches every error and answers it
  return createServer(async (req, res) => {
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
      if (await localRoute(req, res, url, body, requestId)) return;
      if (await apiRoute(req, res, url, body, requestId)) return;
      if (staticFile(req, res, url)) return;
      send(res, 404, { message: 'Not Found' });
    } catch (error) {
      const r = errorResponse(error, requestId);
      if (!res.headersSent) send(res, r.statusCode, r.body, r.headers);
      else res.end();
    }
  });
}
