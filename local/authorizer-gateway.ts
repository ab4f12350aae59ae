// API Gateway's side of a Lambda authorizer, emulated from the construct's own settings
// (shared/authorizer-settings.ts): the identity sources (a request missing one gets 401 without
// the function being called), the result cache (keyed on exactly the identity sources' values,
// with the configured TTL on the service clock), and the answers: HTTP API simple responses, REST
// TOKEN and REQUEST policies evaluated against each request's method ARN (a cached REST policy
// answers every method of the API, as on AWS).
import type { AuthorizerSettings } from '../shared/authorizer-settings.ts';

export interface GatewayRequest {
  method: string;
  /** The request path, e.g. /example/whoami. */
  path: string;
  /** HTTP API route key, e.g. `GET /example/whoami`; REST: the resource path is `resource`. */
  routeKey: string;
  /** REST resource path (`/example/{id}`); defaults to path. */
  resource?: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  query?: Record<string, string>;
  rawQueryString?: string;
  sourceIp: string;
  requestId: string;
  /** The HTTP API request context the integration would also get. */
  requestContext?: Record<string, unknown>;
}

export type AuthorizerAnswer =
  | { allow: true; context: Record<string, unknown>; principalId?: string }
  | { allow: false; status: number; body: unknown };

export interface EmulatedAuthorizerOptions {
  settings: AuthorizerSettings;
  invoke: (event: unknown) => Promise<unknown>;
  now: () => number;
  apiId?: string;
  stage?: string;
  region?: string;
  account?: string;
  /** The API's own stage variables (besides what the settings require). */
  stageVariables?: Record<string, string>;
}

type Cached = { until: number; result: unknown };

const UNAUTHORIZED = { allow: false as const, status: 401, body: { message: 'Unauthorized' } };
const HTTP_FORBIDDEN = { allow: false as const, status: 403, body: { message: 'Forbidden' } };
const HTTP_ERROR = { allow: false as const, status: 500, body: { message: 'Internal Server Error' } };
const REST_ERROR = { allow: false as const, status: 500, body: { message: null } };
const REST_DENY = { allow: false as const, status: 403, body: { Message: 'User is not authorized to access this resource with an explicit deny' } };
const REST_NO_ALLOW = { allow: false as const, status: 403, body: { Message: 'User is not authorized to access this resource' } };

/** IAM's ARN matching: `*` any run of characters, `?` one character. */
export function arnMatches(pattern: string, arn: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(arn);
}

interface PolicyStatement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
}

/** Explicit deny wins; then an explicit allow; else no allow. */
export function evaluatePolicy(policy: unknown, methodArn: string): 'allow' | 'deny' | 'none' | 'invalid' {
  const statements = (policy as { Statement?: PolicyStatement[] | PolicyStatement } | undefined)?.Statement;
  if (!statements) return 'invalid';
  const list = Array.isArray(statements) ? statements : [statements];
  const matching = (effect: string) =>
    list.some((s) => {
      if (s.Effect !== effect) return false;
      const actions = ([] as string[]).concat(s.Action ?? []);
      if (!actions.some((a) => a === 'execute-api:Invoke' || a === 'execute-api:*' || a === '*')) return false;
      return ([] as string[]).concat(s.Resource ?? []).some((r) => arnMatches(r, methodArn));
    });
  if (matching('Deny')) return 'deny';
  return matching('Allow') ? 'allow' : 'none';
}

export class EmulatedAuthorizer {
  private readonly cache = new Map<string, Cached>();
  /** Invocations of the function, for tests and figures. */
  invocations = 0;

  constructor(private readonly o: EmulatedAuthorizerOptions) {}

  private get stageVariables(): Record<string, string> {
    return { ...this.o.stageVariables, ...this.o.settings.stageVariables };
  }

  /** The value of one identity source expression for a request, or undefined when absent or empty. */
  private source(expression: string, req: GatewayRequest): string | undefined {
    let m = expression.match(/^(?:\$request|method\.request)\.header\.(.+)$/i);
    if (m) return req.headers[m[1].toLowerCase()] || undefined;
    m = expression.match(/^(?:\$request\.querystring|method\.request\.querystring)\.(.+)$/i);
    if (m) return req.query?.[m[1]] || undefined;
    if (expression === '$context.routeKey') return req.routeKey;
    if (expression === '$context.identity.sourceIp' || expression === 'context.identity.sourceIp') return req.sourceIp || undefined;
    m = expression.match(/^(?:\$stageVariables|stageVariables)\.(.+)$/);
    if (m) return this.stageVariables[m[1]] || undefined;
    throw new Error(`identity source ${expression} is not emulated`);
  }

  private methodArn(req: GatewayRequest): string {
    const { region = 'us-east-1', account = '000000000000', apiId = 'local', stage = 'local' } = this.o;
    return `arn:aws:execute-api:${region}:${account}:${apiId}/${stage}/${req.method}${req.path}`;
  }

  async authorize(req: GatewayRequest): Promise<AuthorizerAnswer> {
    const { settings } = this.o;
    const values = settings.identitySource.map((s) => this.source(s, req));
    // REST REQUEST authorizers check their identity sources only when caching is on.
    const checked = settings.kind !== 'rest-request' || settings.cacheTtlSeconds > 0;
    if (checked && values.some((v) => v === undefined)) return UNAUTHORIZED;
    const key = JSON.stringify(values);
    const now = this.o.now();
    const caching = settings.cacheTtlSeconds > 0 && settings.identitySource.length > 0;
    const hit = caching ? this.cache.get(key) : undefined;
    let result: unknown;
    if (hit && hit.until > now) {
      result = hit.result;
    } else {
      try {
        this.invocations++;
        result = await this.o.invoke(this.event(req, values as string[]));
      } catch (error) {
        // A REST authorizer that throws "Unauthorized" asks for 401; anything else is a 500.
        if (settings.kind !== 'http' && error instanceof Error && error.message === 'Unauthorized') {
          return UNAUTHORIZED;
        }
        return settings.kind === 'http' ? HTTP_ERROR : REST_ERROR;
      }
      if (caching) this.cache.set(key, { until: now + settings.cacheTtlSeconds * 1000, result });
    }
    return settings.kind === 'http' ? this.httpAnswer(result) : this.restAnswer(result, req);
  }

  private httpAnswer(result: unknown): AuthorizerAnswer {
    const r = result as { isAuthorized?: unknown; context?: Record<string, unknown> } | undefined;
    if (!r || typeof r.isAuthorized !== 'boolean') return HTTP_ERROR;
    return r.isAuthorized ? { allow: true, context: r.context ?? {} } : HTTP_FORBIDDEN;
  }

  private restAnswer(result: unknown, req: GatewayRequest): AuthorizerAnswer {
    const r = result as { principalId?: string; policyDocument?: unknown; context?: Record<string, unknown> } | undefined;
    if (!r || typeof r.principalId !== 'string') return REST_ERROR;
    switch (evaluatePolicy(r.policyDocument, this.methodArn(req))) {
      case 'allow':
        return { allow: true, context: { ...r.context, principalId: r.principalId }, principalId: r.principalId };
      case 'deny':
        return REST_DENY;
      case 'none':
        return REST_NO_ALLOW;
      default:
        return REST_ERROR;
    }
  }

  /** The event API Gateway sends, per kind, as its developer guide documents it. */
  private event(req: GatewayRequest, values: string[]): unknown {
    const { settings } = this.o;
    const methodArn = this.methodArn(req);
    if (settings.kind === 'rest-token') {
      return { type: 'TOKEN', authorizationToken: values[0], methodArn };
    }
    const { region = 'us-east-1', account = '000000000000', apiId = 'local', stage = 'local' } = this.o;
    if (settings.kind === 'rest-request') {
      const multi = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, [v]]));
      return {
        type: 'REQUEST',
        methodArn,
        resource: req.resource ?? req.path,
        path: req.path,
        httpMethod: req.method,
        headers: req.headers,
        multiValueHeaders: multi,
        queryStringParameters: req.query ?? null,
        multiValueQueryStringParameters: req.query ? Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, v.split(',')])) : null,
        pathParameters: {},
        stageVariables: Object.keys(this.stageVariables).length ? this.stageVariables : null,
        requestContext: {
          path: `/${stage}${req.path}`, accountId: account, resourceId: 'local', stage, requestId: req.requestId,
          identity: { sourceIp: req.sourceIp, userAgent: req.headers['user-agent'] ?? '' },
          resourcePath: req.resource ?? req.path, httpMethod: req.method, apiId,
        },
      };
    }
    return {
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:${region}:${account}:${apiId}/${stage}/${req.method}${req.path}`,
      identitySource: settings.identitySource.length ? values : null,
      routeKey: req.routeKey,
      rawPath: req.path,
      rawQueryString: req.rawQueryString ?? '',
      headers: req.headers,
      queryStringParameters: req.query,
      requestContext: req.requestContext ?? {},
      stageVariables: Object.keys(this.stageVariables).length ? this.stageVariables : undefined,
    };
  }
}
