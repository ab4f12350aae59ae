// The one middleware chain for API Gateway HTTP API (payload 2.0) routes:
// header normalizer -> body (size, JSON) -> validation -> handler, with the error mapper last.
// Handlers get parsed, validated input and return {status, body}; they never catch.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { Claims } from '../domain/actor.ts';
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

export interface Reply {
  status: number;
  body?: unknown;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined, H extends Schema | undefined = undefined> {
  auth: 'jwt' | 'none';
  body?: B;
  query?: Q;
  params?: P;
  /**
   * The body as raw bytes instead of parsed JSON (a signed body is verified over its bytes), with
   * its own size limit: a larger body is a 400 VALIDATION.
   */
  rawBody?: { maxBytes: number };
  /** Headers the route reads, validated (400 on `header.<name>`); the handler reads them from `headers`. */
  headers?: H;
  run: (req: Request<Out<B>, Out<Q>, Out<P>>) => Promise<Reply>;
}

type Event = APIGatewayProxyEventV2WithJWTAuthorizer;

/** Parses `input` with `schema`; a failure is a 400 VALIDATION naming each field as `where.path`. */
export function validate<S extends Schema>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  throw new ValidationError(`Invalid ${where}: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, fields);
}

function readBody(event: Event, rawBody: RouteSpec<undefined, undefined, undefined>['rawBody']): unknown {
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
const jsonBody = (rawBody: RouteSpec<undefined, undefined, undefined>['rawBody']): middy.MiddlewareObj<Parsed<unknown, unknown, unknown>> => ({
  before: async ({ event }) => {
    event.tessera = { body: readBody(event, rawBody) } as Request<unknown, unknown, unknown>;
  },
});

/** Validation of claims, body, query and path against the route's schemas (400 with fields). */
const validation = <B, Q, P>(spec: RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined>): middy.MiddlewareObj<Parsed<B, Q, P>> => ({
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

export function httpRoute<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined, H extends Schema | undefined = undefined>(
  spec: RouteSpec<B, Q, P, H>,
) {
  type R = Request<Out<B>, Out<Q>, Out<P>>;
  return middy<Parsed<Out<B>, Out<Q>, Out<P>>, APIGatewayProxyResultV2>()
    .use(httpHeaderNormalizer())
    .use(jsonBody(spec.rawBody) as middy.MiddlewareObj<Parsed<Out<B>, Out<Q>, Out<P>>>)
    .use(validation<Out<B>, Out<Q>, Out<P>>(spec as RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined>))
    .use(errorEnvelope() as middy.MiddlewareObj<Parsed<Out<B>, Out<Q>, Out<P>>, APIGatewayProxyResultV2>)
    .handler(async (event) => {
      const reply = await spec.run(event.tessera as R);
      return {
        statusCode: reply.status,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        body: reply.body === undefined ? '' : JSON.stringify(reply.body),
      };
    });
}
