// Each local function's environment variables, as CDK sets them on the deployed function
// (infra/tessera-stack.ts, infra/constructs/tessera-function.ts, the authorizer's additions) and
// as Lambda adds its own (region, function name, memory, the role's session credentials), with
// the local endpoints given the standard SDK way (AWS_ENDPOINT_URL_<SERVICE>), so the handler
// cannot tell where it runs.
import { ACCESS } from '../infra/access.ts';
import { credentialsEnv } from './identities.ts';

export interface LocalResources {
  region: string;
  tableName: string;
  keySource: string;
  jwtIssuer: string;
  jwtAudience: string;
  identitySource?: string;
  eventSource?: string;
  logLevel: string;
  routePermissions: string;
  storeEndpoint: string;
  busEndpoint: string;
  busName: string;
  /** Local settings given to every function (startLocal's `env`: SDK timeouts, cache times in tests). */
  overrides?: Record<string, string>;
}

export const MEMORY_MB = 256;

export function functionEnv(functionId: string, r: LocalResources): Record<string, string> {
  const access = (ACCESS as Record<string, { publish: boolean } | undefined>)[functionId];
  const env: Record<string, string> = {
    // Lambda's own
    AWS_REGION: r.region,
    AWS_DEFAULT_REGION: r.region,
    AWS_LAMBDA_FUNCTION_NAME: `tessera-local-${functionId}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(MEMORY_MB),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/tessera-local-${functionId}`,
    ...credentialsEnv(functionId),
    // Where AWS is, locally
    AWS_ENDPOINT_URL_DYNAMODB: r.storeEndpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: r.busEndpoint,
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
  };
  if (access?.publish) {
    env.TESSERA_EVENT_BUS = r.busName;
    if (r.eventSource) env.TESSERA_EVENT_SOURCE = r.eventSource;
  }
  if (functionId === 'authorizer') env.TESSERA_ROUTE_PERMISSIONS = r.routePermissions;
  return { ...env, ...r.overrides };
}
