// The route table: method, path, handler entry, auth kind, required permissions and schemas.
// CDK (infra/), the local API Gateway (local/gateway.ts) and the OpenAPI document
// (shared/http/openapi.ts) all read it; nothing else lists routes.
import type { z } from 'zod';
import {
  AuditPage,
  AuditQuery,
  CreateTokenBody,
  ErrorJson,
  HealthJson,
  LeakReply,
  LeakReport,
  IdempotencyHeaders,
  MAX_LEAK_REPORT_BYTES,
  ListTokensQuery,
  MeJson,
  PatchTokenBody,
  RenewTokenBody,
  TokenIdParam,
  TokenJson,
  TokenPage,
  TokenValue,
  TokenWithValue,
  UsageJson,
  UsageQuery,
} from './http/schemas.ts';

export type AuthKind = 'none' | 'jwt' | 'tessera';
export type ApiName = 'management' | 'example';

export interface RouteDef {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  auth: AuthKind;
  api: ApiName;
  summary: string;
  /** For auth 'tessera': what the token must carry. */
  permissions?: string[];
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  /** Request headers the route reads (names in lower case). */
  headers?: z.ZodType;
  /**
   * The body as raw bytes instead of parsed JSON (a signed body is verified over its bytes), with
   * its own size limit: a larger body is a 400 VALIDATION. `body` then only documents it.
   */
  rawBody?: { maxBytes: number };
  success: { status: number; schema?: z.ZodType };
  errors?: number[];
  /** A route's own throttle in API Gateway, below the stage's. */
  throttle?: { rateLimit: number; burstLimit: number };
}

const TOKEN_ERRORS = [400, 401, 403, 404, 409, 413, 503];

export const ROUTES = {
  health: {
    method: 'GET', path: '/v1/health', entry: 'functions/health.ts', auth: 'none', api: 'management',
    summary: 'Liveness', success: { status: 200, schema: HealthJson },
  },
  openapi: {
    method: 'GET', path: '/v1/openapi.json', entry: 'functions/openapi.ts', auth: 'none', api: 'management',
    summary: 'This OpenAPI 3.1 document', success: { status: 200 },
  },
  me: {
    method: 'GET', path: '/v1/me', entry: 'functions/me.ts', auth: 'jwt', api: 'management',
    summary: "The caller's user record and the permissions they may grant", success: { status: 200, schema: MeJson }, errors: [401, 403, 503],
  },
  createToken: {
    method: 'POST', path: '/v1/tokens', entry: 'functions/tokens-create.ts', auth: 'jwt', api: 'management',
    summary: 'Create a token', body: CreateTokenBody, headers: IdempotencyHeaders, success: { status: 201, schema: TokenWithValue }, errors: TOKEN_ERRORS,
  },
  listTokens: {
    method: 'GET', path: '/v1/tokens', entry: 'functions/tokens-list.ts', auth: 'jwt', api: 'management',
    summary: 'List the tokens the caller may see, newest first', query: ListTokensQuery, success: { status: 200, schema: TokenPage }, errors: TOKEN_ERRORS,
  },
  getToken: {
    method: 'GET', path: '/v1/tokens/{id}', entry: 'functions/tokens-get.ts', auth: 'jwt', api: 'management',
    summary: "A token's metadata", params: TokenIdParam, success: { status: 200, schema: TokenJson }, errors: TOKEN_ERRORS,
  },
  tokenValue: {
    method: 'GET', path: '/v1/tokens/{id}/value', entry: 'functions/tokens-value.ts', auth: 'jwt', api: 'management',
    summary: "Reveal a token's value (owner; any admin for shared tokens)", params: TokenIdParam, success: { status: 200, schema: TokenValue }, errors: TOKEN_ERRORS,
  },
  patchToken: {
    method: 'PATCH', path: '/v1/tokens/{id}', entry: 'functions/tokens-patch.ts', auth: 'jwt', api: 'management',
    summary: 'Change name, description, permissions, expiry; enable or disable', params: TokenIdParam, body: PatchTokenBody,
    success: { status: 200, schema: TokenJson }, errors: TOKEN_ERRORS,
  },
  renewToken: {
    method: 'POST', path: '/v1/tokens/{id}/renew', entry: 'functions/tokens-renew.ts', auth: 'jwt', api: 'management',
    summary: 'Rotate the value, with an optional grace period for the old one', params: TokenIdParam, body: RenewTokenBody, headers: IdempotencyHeaders,
    success: { status: 200, schema: TokenWithValue }, errors: TOKEN_ERRORS,
  },
  deleteToken: {
    method: 'DELETE', path: '/v1/tokens/{id}', entry: 'functions/tokens-delete.ts', auth: 'jwt', api: 'management',
    summary: 'Delete a token', params: TokenIdParam, success: { status: 204 }, errors: TOKEN_ERRORS,
  },
  listAudit: {
    method: 'GET', path: '/v1/audit', entry: 'functions/audit-list.ts', auth: 'jwt', api: 'management',
    summary: 'The activity log, newest first: the tenant\'s for administrators, the caller\'s own tokens\' otherwise',
    query: AuditQuery, success: { status: 200, schema: AuditPage }, errors: [400, 401, 403, 503],
  },
  reportLeaks: {
    method: 'POST', path: '/v1/leaks', entry: 'functions/leaks-report.ts', auth: 'none', api: 'management',
    summary: 'Secret-scanning partner endpoint: a signed report of leaked values; active Tessera tokens among them are disabled',
    body: LeakReport, rawBody: { maxBytes: MAX_LEAK_REPORT_BYTES }, success: { status: 200, schema: LeakReply }, errors: [400, 401, 503],
    // Unauthenticated until the signature is checked: its own, low throttle keeps floods off the store.
    throttle: { rateLimit: 10, burstLimit: 20 },
  },
  tokenUsage: {
    method: 'GET', path: '/v1/tokens/{id}/usage', entry: 'functions/tokens-usage.ts', auth: 'jwt', api: 'management',
    summary: "A token's last use and its verifications and refusals per UTC day", params: TokenIdParam, query: UsageQuery,
    success: { status: 200, schema: UsageJson }, errors: TOKEN_ERRORS,
  },
  exampleWhoami: {
    method: 'GET', path: '/example/whoami', entry: 'functions/example-whoami.ts', auth: 'tessera', api: 'example',
    summary: 'Example API: the authorizer context of any valid token', permissions: [], success: { status: 200 },
  },
  exampleEvents: {
    method: 'GET', path: '/example/events', entry: 'functions/example-events.ts', auth: 'tessera', api: 'example',
    summary: 'Example API: requires events:read', permissions: ['events:read'], success: { status: 200 },
  },
} as const satisfies Record<string, RouteDef>;

export type RouteId = keyof typeof ROUTES;
export const ROUTE_LIST: (RouteDef & { id: RouteId })[] = Object.entries(ROUTES).map(([id, r]) => ({ id: id as RouteId, ...(r as RouteDef) }));

export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>) => `${r.method} ${r.path}`;

/** The authorizer's permission map for an API, derived from the table (route key -> permissions). */
export function permissionMap(api: ApiName): Record<string, string[]> {
  return Object.fromEntries(ROUTE_LIST.filter((r) => r.api === api && r.auth === 'tessera').map((r) => [routeKey(r), r.permissions ?? []]));
}

/** Functions that are not HTTP routes. */
export const JOBS = {
  authorizer: { entry: 'functions/authorizer.ts', summary: 'Lambda authorizer for HTTP and REST APIs' },
  userEvents: { entry: 'functions/user-events.ts', summary: 'UserChanged / UserDeleted from the identity system' },
  legacyImport: { entry: 'functions/legacy-import.ts', summary: 'Operator job: import legacy UUID+secret credentials' },
  expiryNotices: { entry: 'functions/expiry-notices.ts', summary: 'Hourly: TokenExpiringSoon events and expiry entries in the activity log' },
  ttlRemovals: { entry: 'functions/ttl-removals.ts', summary: 'DynamoDB stream: records the week-later deletion (TTL removals of tokens) in the activity log' },
  usage: { entry: 'functions/usage.ts', summary: "Token usage from the authorizer's log lines (CloudWatch Logs subscription)" },
} as const;

export { ErrorJson };
