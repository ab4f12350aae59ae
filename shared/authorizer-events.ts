// The three event kinds the authorizer answers (rules.md §4): HTTP API payload 2.0 with simple
// responses, and REST API TOKEN and REQUEST authorizers with an IAM policy.
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import { STAGE_CREDENTIALS_VARIABLE, type CredentialMode } from './authorizer-settings.ts';
import type { Credential, Decision } from './decision.ts';

export type AuthorizerEvent = APIGatewayRequestAuthorizerEventV2 | APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent;

export type Kind = 'http' | 'rest-token' | 'rest-request';

export function kindOf(event: AuthorizerEvent): Kind {
  if ((event as APIGatewayRequestAuthorizerEventV2).version === '2.0') return 'http';
  return event.type === 'TOKEN' ? 'rest-token' : 'rest-request';
}

// API Gateway sends strings; anything else (a hand-made or malformed event) counts as absent, so
// the authorizer denies it instead of failing with a TypeError.
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function header(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const direct = str(headers[name]);
  if (direct !== undefined) return direct;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return str(v);
  return undefined;
}

const bearer = (authorization: string | undefined) => {
  const m = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  return m ? m[1] : undefined;
};

/**
 * 'any' only for an API whose stage says so (the TesseraAuthorizer construct writes it, with API
 * Gateway's cache off); otherwise only `Authorization`, the identity source API Gateway caches
 * the answer under, may decide it (shared/authorizer-settings.ts).
 */
export function credentialModeOf(event: AuthorizerEvent): CredentialMode {
  if (event.type === 'TOKEN') return 'authorization';
  const variables = (event as { stageVariables?: Record<string, string | undefined> | null }).stageVariables;
  return variables && typeof variables === 'object' && variables[STAGE_CREDENTIALS_VARIABLE] === 'any' ? 'any' : 'authorization';
}

/** The credential a request carries, or undefined when it carries none. */
export function credentialOf(event: AuthorizerEvent): Credential | undefined {
  if (event.type === 'TOKEN') {
    const token = str((event as APIGatewayTokenAuthorizerEvent).authorizationToken);
    const value = bearer(token) ?? (token && !/\s/.test(token) ? token : undefined);
    return value ? { kind: 'value', value } : undefined;
  }
  const headers = (event as APIGatewayRequestAuthorizerEventV2).headers as Record<string, string | undefined> | undefined;
  const authorization = bearer(header(headers, 'authorization'));
  // API Gateway caches the answer under the identity sources' values: another header must not
  // decide an answer that is then served to every request with the same Authorization.
  if (credentialModeOf(event) === 'authorization') return authorization ? { kind: 'value', value: authorization } : undefined;
  // Any credential header: a Tessera value wherever it is; a bearer that is not one (say, a JWT) does not hide one.
  const apiToken = header(headers, 'x-api-token')?.trim();
  if (authorization?.startsWith('tsr_')) return { kind: 'value', value: authorization };
  if (apiToken) return { kind: 'value', value: apiToken };
  const uuid = header(headers, 'x-api-uuid')?.trim();
  const secret = header(headers, 'x-api-secret');
  if (uuid && secret) return { kind: 'legacy', uuid, secret };
  return authorization ? { kind: 'value', value: authorization } : undefined;
}

/** The caller's address: HTTP API requestContext.http.sourceIp, REST REQUEST requestContext.identity.sourceIp; TOKEN events carry none. */
export function sourceIpOf(event: AuthorizerEvent): string | undefined {
  if (event.type === 'TOKEN') return undefined;
  const context = (event as { requestContext?: { http?: { sourceIp?: unknown }; identity?: { sourceIp?: unknown } } }).requestContext;
  if (!context || typeof context !== 'object') return undefined;
  return (event as APIGatewayRequestAuthorizerEventV2).version === '2.0' ? str(context.http?.sourceIp) : str(context.identity?.sourceIp);
}

/** The calling stage's variables (HTTP API and REST REQUEST events; TOKEN events carry none). */
export function stageVariablesOf(event: AuthorizerEvent): Readonly<Record<string, string | undefined>> | undefined {
  const variables = (event as { stageVariables?: unknown }).stageVariables;
  return variables !== null && typeof variables === 'object' ? (variables as Record<string, string | undefined>) : undefined;
}

/** The key the permission map is looked up with: the HTTP API route key, or METHOD /resource. */
export function routeOf(event: AuthorizerEvent): string {
  if ((event as APIGatewayRequestAuthorizerEventV2).version === '2.0') return str((event as APIGatewayRequestAuthorizerEventV2).routeKey) ?? '';
  const arn = str((event as APIGatewayTokenAuthorizerEvent).methodArn) ?? '';
  // arn:aws:execute-api:region:account:apiId/stage/METHOD/resource/path
  const [, , method, ...rest] = (arn.split(':')[5] ?? '').split('/');
  const resource = str((event as APIGatewayRequestAuthorizerEvent).resource) ?? `/${rest.join('/')}`;
  return `${method ?? ''} ${resource}`;
}

export interface SimpleResponse {
  isAuthorized: boolean;
  context?: Record<string, string>;
}

const contextOf = (d: Decision & { allow: true }) => ({
  tenantId: d.grant.tenantId,
  userId: d.grant.userId,
  tokenId: d.grant.tokenId,
  permissions: d.grant.permissions.join(' '),
});

export function httpResponse(decision: Decision): SimpleResponse {
  return decision.allow ? { isAuthorized: true, context: contextOf(decision) } : { isAuthorized: false };
}

/**
 * A REST policy that stays right when API Gateway caches it for other methods: allow the whole
 * stage, then deny each configured route whose permissions the token lacks.
 */
export function restPolicy(
  event: APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent,
  decision: Decision,
  deniedRoutes: string[],
): APIGatewayAuthorizerResult {
  // methodArn: arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{resource}
  const methodArn = str(event.methodArn) ?? '';
  const parts = methodArn.split(':');
  const [apiId, stage] = (parts[5] ?? '').split('/');
  const base = `${parts.slice(0, 5).join(':')}:${apiId}/${stage}`;
  if (!decision.allow) {
    return { principalId: 'anonymous', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: methodArn || '*' }] } };
  }
  // An HTTP API key such as `$default` names no REST method; `ANY` is `*` in an IAM method ARN.
  const toArn = (route: string) => {
    const m = route.match(/^([A-Z]+) (\/\S*)$/);
    if (!m) return undefined;
    return `${base}/${m[1] === 'ANY' ? '*' : m[1]}${m[2].replace(/\{[^}]+\}/g, '*')}`;
  };
  const denied = deniedRoutes.map(toArn).filter((arn): arn is string => arn !== undefined);
  return {
    principalId: decision.grant.userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: 'Allow' as const, Resource: `${base}/*` },
        ...(denied.length ? [{ Action: 'execute-api:Invoke', Effect: 'Deny' as const, Resource: denied }] : []),
      ],
    },
    context: contextOf(decision),
  };
}
