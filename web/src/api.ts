// The management API client: the page speaks only the public routes of shared/routes.ts (plus
// /_local/login on the embedded default). Every failure becomes an ApiError with a readable
// message, whether the body is Tessera's envelope or API Gateway's own {message}.
import type { z } from 'zod';
import type { AuditEntryJsonShape, MeJson, TokenJsonShape, UsageJsonShape } from '../../shared/http/schemas.ts';

export type Token = TokenJsonShape;
export type Usage = UsageJsonShape;
export type Me = z.infer<typeof MeJson>;
export interface TokenPage {
  items: Token[];
  nextCursor: string | null;
}
export type AuditEntry = AuditEntryJsonShape;
export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}
export interface TokenWithValue {
  token: Token;
  value: string;
}
export interface CreateInput {
  name: string;
  permissions: string[];
  expiresAt?: string;
  visibility?: 'private' | 'shared';
  description?: string;
  allowedCidrs?: string[];
}
export interface PatchInput {
  name?: string;
  description?: string | null;
  permissions?: string[];
  expiresAt?: string | null;
  enabled?: boolean;
  allowedCidrs?: string[] | null;
}

/** A list's query string: the filters that are set, the page size and the cursor. */
function queryString(query: Record<string, string | number | null | undefined>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') q.set(name, String(value));
  return q;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly fields: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** What the gateway says without Tessera's envelope (JWT authorizer, unknown route, body limit). */
const BARE_STATUS: Record<number, [string, string]> = {
  401: ['UNAUTHENTICATED', 'The API did not accept your sign-in (missing, invalid or expired). Sign in again.'],
  403: ['FORBIDDEN', 'The API refused this request.'],
  404: ['NOT_FOUND', 'The API has no such route.'],
  413: ['PAYLOAD_TOO_LARGE', 'The request is too large.'],
};

export class Api {
  constructor(
    readonly base: string,
    private readonly accessToken: () => string | null,
    private readonly onUnauthenticated: (error: ApiError) => void,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.accessToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit' });
    } catch {
      throw new ApiError(0, 'NETWORK', `Could not reach the API at ${this.base || location.origin}. Check your connection and try again.`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return json as T;
    const env = (json as { error?: { code?: unknown; message?: unknown; requestId?: unknown; fields?: unknown } } | undefined)?.error;
    const error =
      env && typeof env.code === 'string' && typeof env.message === 'string'
        ? new ApiError(res.status, env.code, env.message, typeof env.requestId === 'string' ? env.requestId : undefined, Array.isArray(env.fields) ? env.fields : [])
        : new ApiError(res.status, ...(BARE_STATUS[res.status] ?? [`HTTP_${res.status}`, `The API answered ${res.status} ${res.statusText}.`]));
    if (res.status === 401 && token) this.onUnauthenticated(error);
    throw error;
  }

  localLogin = (tenantId: string, userId: string) =>
    this.request<{ accessToken: string }>('POST', '/_local/login', { tenantId, userId });
  me = () => this.request<Me>('GET', '/v1/me');
  list = (query: { owner?: string; status?: string; limit: number; cursor?: string | null }) =>
    this.request<TokenPage>('GET', `/v1/tokens?${queryString(query)}`);
  audit = (query: { action?: string; tokenId?: string; limit: number; cursor?: string | null }) =>
    this.request<AuditPage>('GET', `/v1/audit?${queryString(query)}`);
  create = (input: CreateInput) => this.request<TokenWithValue>('POST', '/v1/tokens', input);
  value = (id: string) => this.request<{ value: string }>('GET', `/v1/tokens/${encodeURIComponent(id)}/value`);
  patch = (id: string, input: PatchInput) => this.request<Token>('PATCH', `/v1/tokens/${encodeURIComponent(id)}`, input);
  renew = (id: string, graceSeconds?: number) =>
    this.request<TokenWithValue>('POST', `/v1/tokens/${encodeURIComponent(id)}/renew`, graceSeconds ? { graceSeconds } : {});
  usage = (id: string, days = 30) => this.request<Usage>('GET', `/v1/tokens/${encodeURIComponent(id)}/usage?days=${days}`);
  remove = (id: string) => this.request<void>('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
}

const TITLES: Record<string, string> = {
  VALIDATION: 'Please check the request',
  UNAUTHENTICATED: 'Not signed in',
  FORBIDDEN: 'Not allowed',
  SSO_USER: 'SSO users have no API tokens',
  PERMISSION_NOT_HELD: 'Permission not held',
  TOKEN_PRIVATE: 'Private token',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Not possible right now',
  PAYLOAD_TOO_LARGE: 'Too large',
  UNAVAILABLE: 'Service unavailable',
  INTERNAL: 'Something went wrong on our side',
  NETWORK: 'Network error',
};

/** A readable title for an error code; unknown codes fall back to the HTTP status. */
export const errorTitle = (e: ApiError) => TITLES[e.code] ?? `Request failed (${e.status})`;
