// The routes that exist only locally: /_local/* (sign-in, the issuer's key, the bus, the clock,
// the legacy import: README, "The embedded default") and the console's /config.json. None of them
// exists in AWS.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { LegacyImportBody } from '../shared/domain/legacy.ts';
import { AppError, ValidationError } from '../shared/errors.ts';
import { validate } from '../shared/http/middleware.ts';
import type { LocalBus } from './bus.ts';
import { send } from './http-io.ts';
import { signInToken } from './jwt.ts';
import type { JwtKeys } from './keys.ts';
import { lambdaContext } from './lambda.ts';
import { DEMO_USERS } from './seed.ts';

/** What the local routes reach: the gateway's dependencies (local/gateway.ts) they use. */
export interface LocalRouteDeps {
  jwt: JwtKeys;
  bus: LocalBus;
  advance: (seconds: number) => Promise<{ now: string; swept: number }>;
  legacyImport: (input: unknown, context: Context) => Promise<unknown>;
}

/** A local route's 200 answer. */
interface LocalAnswer {
  body: unknown;
  headers?: Record<string, string>;
}

type LocalHandler = (deps: LocalRouteDeps, body: Buffer) => Promise<LocalAnswer> | LocalAnswer;

const DEMO_SIGN_IN = DEMO_USERS.map(({ tenantId, userId, role, authMethod }) => ({ tenantId, userId, role, authMethod }));

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

/** Delivers an event through the bus's rules; an invalid one is a 400 (it went to the dead-letter list). */
async function deliverEvent(deps: LocalRouteDeps, body: Buffer): Promise<LocalAnswer> {
  const { detailType, detail, source } = parseJson(EventBody, body);
  try {
    const out = await deps.bus.deliver(detailType, detail, source);
    return { body: out.matched ? { delivered: true, result: out.result } : { delivered: false, reason: 'no rule matched' } };
  } catch (error) {
    if (error instanceof AppError && error.code === 'VALIDATION') {
      throw new ValidationError(`${error.message} The event went to the dead-letter queue; nothing was changed.`, error.details?.fields);
    }
    throw error;
  }
}

const LOCAL_ROUTES = new Map<string, LocalHandler>([
  ['POST /_local/login', async (deps, body) => {
    const { tenantId, userId } = parseJson(LoginBody, body);
    return { body: await signInToken(deps.jwt, tenantId, userId) };
  }],
  // What a deployed console page gets from CDK; locally it talks to this origin and offers the
  // demo users, which only this local file names (the page's bundle carries none).
  ['GET /config.json', () => ({
    body: { apiBase: '', localSignIn: true, environment: 'local', demoUsers: DEMO_SIGN_IN },
    headers: { 'cache-control': 'no-cache' },
  })],
  ['GET /_local/jwks.json', (deps) => ({ body: { keys: [deps.jwt.publicJwk] } })],
  ['POST /_local/events', deliverEvent],
  ['GET /_local/events', (deps) => ({ body: { events: deps.bus.published, deadLetters: deps.bus.deadLetters } })],
  ['POST /_local/time', async (deps, body) => ({ body: await deps.advance(parseJson(TimeBody, body).advanceSeconds) })],
  ['POST /_local/legacy-import', async (deps, body) => ({
    body: await deps.legacyImport(parseJson(LegacyImportBody, body), lambdaContext('legacy-import')),
  })],
]);

/** Answers a local route (any other /_local/ path is a 404); false when the request is not one. */
export async function localRoute(deps: LocalRouteDeps, req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, requestId: string): Promise<boolean> {
  const handler = LOCAL_ROUTES.get(`${req.method} ${url.pathname}`);
  if (handler) {
    const answer = await handler(deps, body);
    send(res, 200, answer.body, answer.headers);
    return true;
  }
  if (url.pathname.startsWith('/_local/')) {
    send(res, 404, { error: { code: 'NOT_FOUND', message: 'No such local route.', requestId } });
    return true;
  }
  return false;
}
