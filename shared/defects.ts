// AWS's authorization refusals, recognised once for every client (store, key, bus): each becomes
// a DeploymentDefectError and one error log line `{defect: "authorization", function, action,
// resource}`, which the metric filter and alarm of infra/constructs/observability.ts count.
import { DeploymentDefectError } from './errors.ts';
import { logger } from './log.ts';

/** Error names AWS services use when the caller is not allowed, or not recognised at all. */
const AUTHORIZATION_ERRORS = new Set([
  'AccessDeniedException', // DynamoDB, KMS, EventBridge: no policy allows the action
  'AccessDenied',
  'UnrecognizedClientException', // an access key id AWS does not know
  'InvalidSignatureException', // a secret that does not match it
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'NotAuthorized',
]);

/** The log line's marker; the metric filter matches it. */
export const DEFECT_LOG_FIELD = 'defect';
export const AUTHORIZATION_DEFECT = 'authorization';

export function isAuthorizationError(e: unknown): boolean {
  return e instanceof Error && AUTHORIZATION_ERRORS.has(e.name);
}

/**
 * The defect for an authorization refusal, logged; undefined for any other error.
 * `service` names the client (dynamodb, kms, events) when the message does not say the action.
 */
export function authorizationDefect(e: unknown, service: string): DeploymentDefectError | undefined {
  if (!isAuthorizationError(e)) return undefined;
  const message = (e as Error).message;
  // AWS: "User: <arn> is not authorized to perform: <action> on resource: <arn> because ..."
  const m = message.match(/User: (\S+) is not authorized to perform: (\S+) on resource: (\S+)/);
  const action = m?.[2] ?? `${service}:*`;
  const resource = m?.[3] ?? 'unknown';
  const principal = m?.[1];
  const fn = process.env.AWS_LAMBDA_FUNCTION_NAME ?? principal?.split('/').pop() ?? 'unknown';
  logger.error('AWS refused a call for lack of permission: a grant is missing (deployment defect)', {
    [DEFECT_LOG_FIELD]: AUTHORIZATION_DEFECT,
    function: fn,
    action,
    resource,
    errorName: (e as Error).name,
    awsMessage: message,
  });
  return new DeploymentDefectError(action, resource);
}
