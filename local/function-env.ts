// Each local function's environment variables, as CDK sets them on the deployed function
// (infra/tessera-stack.ts, infra/constructs/tessera-function.ts, the authorizer's additions) and
// as Lambda adds its own (region, function name, memory, the role's session credentials), with
// the local endpoints given the standard SDK way (AWS_ENDPOINT_URL_<SERVICE>), so the handler
// cannot tell where it runs.
import { ACCESS } from '../infra/access.ts';
import { ENVIRONMENTS } from '../infra/environments.ts';
import { sizingOf, type Sizing } from '../infra/sizing.ts';
import { ROUTE_LIST } from '../shared/routes.ts';
import { credentialsEnv } from './identities.ts';

export interface LocalResources {
  region: string;
  tableName: string;
  keySource: string;
  /** TESSERA_MAC_KEYS: the keys of keyed tags and cursors. */
  macKeys: string;
  jwtIssuer: string;
  jwtAudience: string;
  identitySource?: string;
  eventSource?: string;
  logLevel: string;
  routePermissions: string;
  storeEndpoint: string;
  busEndpoint: string;
  /** The KMS stand-in (local/kms.ts). */
  kmsEndpoint: string;
  busName: string;
  /** Local settings given to every function (SDK timeouts, cache times: startLocal's `env`, TESSERA_SDK_* and TESSERA_AUTH_* of the shell). */
  overrides?: Record<string, string>;
}

/** The memory and timeout CDK deploys the function with (infra/sizing.ts). */
export function functionSizing(functionId: string): Sizing {
  return sizingOf(functionId, ROUTE_LIST.find((r) => r.id === functionId)?.api);
}

export function functionEnv(functionId: string, r: LocalResources): Record<string, string> {
  const access = (ACCESS as Record<string, { publish: boolean } | undefined>)[functionId];
  const env: Record<string, string> = {
    // Lambda's own
    AWS_REGION: r.region,
    AWS_DEFAULT_REGION: r.region,
    AWS_LAMBDA_FUNCTION_NAME: `tessera-local-${functionId}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(functionSizing(functionId).memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/tessera-local-${functionId}`,
    ...credentialsEnv(functionId),
    // Where AWS is, locally
    AWS_ENDPOINT_URL_DYNAMODB: r.storeEndpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: r.busEndpoint,
    AWS_ENDPOINT_URL_KMS: r.kmsEndpoint,
    // Node 20 here, nodejs22.x in Lambda: no end-of-support notice there.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // What CDK sets on every function
    POWERTOOLS_SERVICE_NAME: 'tessera',
    TESSERA_JWT_ISSUER: r.jwtIssuer,
    TESSERA_JWT_AUDIENCE: r.jwtAudience,
    ...(r.identitySource ? { TESSERA_IDENTITY_SOURCE: r.identitySource } : {}),
    TESSERA_LOG_LEVEL: r.logLevel,
    TESSERA_TABLE: r.tableName,
    TESSERA_KEY_SOURCE: r.keySource,
    TESSERA_MAC_KEYS: r.macKeys,
  };
  if (access?.publish) {
    env.TESSERA_EVENT_BUS = r.busName;
    if (r.eventSource) env.TESSERA_EVENT_SOURCE = r.eventSource;
  }
  if (functionId === 'authorizer') {
    // As the dev stack sets them (infra/tessera-stack.ts); the local example API is the dev one.
    const seconds = ENVIRONMENTS.dev.containerCacheSeconds;
    env.TESSERA_AUTH_CACHE_SECONDS = String(seconds);
    env.TESSERA_AUTH_DENY_CACHE_SECONDS = String(Math.min(5, seconds));
    env.TESSERA_ROUTE_PERMISSIONS = r.routePermissions;
  }
  // The secret-scanning keys of POST /v1/leaks, as the dev stack sets them.
  if (functionId === 'reportLeaks') env.TESSERA_LEAK_KEYS = ENVIRONMENTS.dev.leakKeysUrl;
  return { ...env, ...r.overrides };
}
