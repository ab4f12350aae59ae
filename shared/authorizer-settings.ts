// How API Gateway calls the Tessera authorizer, as data: the identity sources, the result cache
// and the credential mode of each authorizer kind. The TesseraAuthorizer construct
// (infra/constructs/tessera-authorizer.ts) configures API Gateway from it, and the local gateway
// (local/authorizer-gateway.ts) emulates API Gateway from it, so the two cannot differ.
// No dependencies: the authorizer's bundle imports this module.

/**
 * 'authorization': only `Authorization`, API Gateway's identity source, so its cache key is the
 * credential. 'any': also `X-API-Token` and the legacy pair; API Gateway cannot key a cache on
 * "one of several headers", so its cache is off.
 */
export type CredentialMode = 'authorization' | 'any';
export type AuthorizerKind = 'http' | 'rest-token' | 'rest-request';

/** The stage variable through which an API tells the authorizer it accepts any credential header. */
export const STAGE_CREDENTIALS_VARIABLE = 'tesseraCredentials';

/** Off unless an API asks for it: revocation must reach every API within seconds (README: caching). */
export const DEFAULT_AUTHORIZER_CACHE_SECONDS = 0;

/**
 * The example API (dev stack, and `npm start`) accepts every credential header (README: the
 * example API), so API Gateway's cache is off for it.
 */
export const EXAMPLE_API_CREDENTIALS: CredentialMode = 'any';

export interface AuthorizerSettings {
  readonly kind: AuthorizerKind;
  readonly credentials: CredentialMode;
  /** API Gateway's identity source expressions (HTTP API `$request.header.X`, REST `method.request.header.X`). */
  readonly identitySource: readonly string[];
  /** API Gateway's result cache TTL; 0 = no cache. */
  readonly cacheTtlSeconds: number;
  /** Stage variables the API's stage must carry for this mode. */
  readonly stageVariables: Readonly<Record<string, string>>;
}

export function authorizerSettings(kind: AuthorizerKind, credentials: CredentialMode = 'authorization', cacheTtlSeconds = DEFAULT_AUTHORIZER_CACHE_SECONDS): AuthorizerSettings {
  if (kind === 'rest-token' && credentials === 'any') throw new Error("A TOKEN authorizer reads one header; use kind 'request' for credentials: 'any'");
  if (cacheTtlSeconds < 0 || cacheTtlSeconds > 3600) throw new Error('API Gateway caches authorizer results for 0 to 3600 s');
  const any = credentials === 'any';
  // Per credential, route and source address: a token allowed on one route is never served from
  // the cache on another, nor one allowed from one network to a request from another (allowedCidrs).
  // A TOKEN authorizer can be keyed on its token header only.
  const identitySource = any
    ? []
    : kind === 'http'
      ? ['$request.header.Authorization', '$context.routeKey', '$context.identity.sourceIp']
      : kind === 'rest-request'
        ? ['method.request.header.Authorization', 'context.identity.sourceIp']
        : ['method.request.header.Authorization'];
  return {
    kind,
    credentials,
    identitySource,
    cacheTtlSeconds: any ? 0 : cacheTtlSeconds,
    stageVariables: any ? { [STAGE_CREDENTIALS_VARIABLE]: 'any' } : {},
  };
}
