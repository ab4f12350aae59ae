// The one middleware chain for API Gateway HTTP API (payload 2.0) routes:
// header normalizer -> body (size, JSON) -> validation -> handler, with the error mapper last.
// `httpRoute(ROUTES.x, run)`: the route's row in shared/routes.ts gives the auth kind, the
// schemas, the body handling and the success status; `run` gets parsed, validated input and
// returns the body. Handlers never catch.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { Claims } from '../domain/actor.ts';
import type { RouteDef } from '../routes.ts';
import { PayloadTooLargeError, UnauthenticatedError, ValidationError } from '../errors.ts';
import { errorResponse } from './respond.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export interface Request<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  claims: Claims;
  requestId: string;
  /** Request headers, lower-cased. */
  headers: Record<string, string | undefined>;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What the chain reads from a route's row. */
type RouteSpec = Pick<RouteDef, 'auth' | 'body' | 'query' | 'params' | 'headers' | 'rawBody' | 'success'>;

/** What `run` gets for a row: the raw bytes for a rawBody route, else the parsed, validated body. */
export type RequestOf<R extends RouteSpec> = Request<R extends { rawBody: object } ? Buffer : Out<R['body']>, Out<R['query']>, Out<R['params']>>;

type Event = APIGatewayProxyEventV2WithJWTAuthorizer;

/** Parses `input` with `schema`; a failure is a 400 VALIDATION naming each field as `where.path`. */
export function validate<S extends Schema>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  throw new ValidationError(`Invalid ${where}: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, fields);
}

function readBody(event: Event, rawBody: RouteSpec['rawBody']): unknown {
  const raw = event.body === undefined || event.body === null ? Buffer.alloc(0) : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (rawBody) {
    if (raw.length > rawBody.maxBytes) throw new ValidationError(`The body is larger than ${rawBody.maxBytes} bytes.`, [{ path: 'body', message: `at most ${rawBody.maxBytes} bytes` }]);
    return raw;
  }
  if (raw.length === 0) return undefined;
  if (raw.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  // Like GitHub's API, the body is read as JSON whatever Content-Type says (curl -d sends a form type).
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ValidationError('The body is not valid JSON.');
  }
}

function claimsOf(event: Event): Claims {
  const claims = event.requestContext?.authorizer?.jwt?.claims ?? {};
  const userId = claims.sub;
  const tenantId = claims.tenant_id;
  if (typeof userId !== 'string' || typeof tenantId !== 'string' || !userId || !tenantId) throw new UnauthenticatedError();
  return { userId, tenantId };
}

type Parsed<B, Q, P> = Event & { tessera?: Request<B, Q, P> };

/** Body: size limit (413) and JSON (400). */
const jsonBody = (rawBody: RouteSpec['rawBody']): middy.MiddlewareObj<Parsed<unknown, unknown, unknown>> => ({
  before: async ({ event }) => {
    event.tessera = { body: readBody(event, rawBody) } as Request<unknown, unknown, unknown>;
  },
});

/** Validation of claims, body, query and path against the route's schemas (400 with fields). */
const validation = <B, Q, P>(spec: RouteSpec): middy.MiddlewareObj<Parsed<B, Q, P>> => ({
  before: async ({ event, context }) => {
    const body = event.tessera?.body;
    if (spec.headers) validate(spec.headers, event.headers ?? {}, 'header');
    event.tessera = {
      requestId: event.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown',
      claims: spec.auth === 'jwt' ? claimsOf(event) : { userId: '', tenantId: '' },
      body: spec.rawBody ? body : spec.body ? validate(spec.body, body ?? {}, 'body') : undefined,
      headers: (event.headers ?? {}) as Record<string, string | undefined>,
      query: spec.query ? validate(spec.query, event.queryStringParameters ?? {}, 'query') : undefined,
      params: spec.params ? validate(spec.params, event.pathParameters ?? {}, 'path') : undefined,
    } as Request<B, Q, P>;
  },
});

/** Last: every error becomes the envelope of rules.md §3 (shared/http/respond.ts). */
const errorEnvelope = (): middy.MiddlewareObj<Event, APIGatewayProxyResultV2> => ({
  onError: async (request) => {
    const requestId = request.event?.requestContext?.requestId ?? request.context?.awsRequestId ?? 'unknown';
    request.response = errorResponse(request.error, requestId);
  },
});

/**
 * The Lambda handler of one management route: `run` returns the body of the route's success
 * status (none for a 204); anything thrown becomes the error envelope.
 */
export function httpRoute<R extends RouteSpec>(route: R, run: (req: RequestOf<R>) => Promise<unknown>) {
  if (route.auth === 'tessera') throw new Error('httpRoute serves the management API; a tessera route belongs to another API behind the authorizer');
  type P = Parsed<unknown, unknown, unknown>;
  return middy<P, APIGatewayProxyResultV2>()
    .use(httpHeaderNormalizer())
    .use(jsonBody(route.rawBody))
    .use(validation<unknown, unknown, unknown>(route))
    .use(errorEnvelope() as middy.MiddlewareObj<P, APIGatewayProxyResultV2>)
    .handler(async (event) => {
      const body = await run(event.tessera as unknown as RequestOf<R>);
      return {
        statusCode: route.success.status,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        body: body === undefined || route.success.status === 204 ? '' : JSON.stringify(body),
      };
    });
}
