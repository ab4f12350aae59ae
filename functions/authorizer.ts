// The Lambda authorizer other APIs put in front of their routes (API.md §4). The rules live in
// shared/domain/verify.ts; this file only speaks API Gateway's three event kinds.
import { getConfig } from '../shared/config.ts';
import { credentialOf, httpResponse, kindOf, restPolicy, routeOf, type AuthorizerEvent } from '../shared/authorizer-events.ts';
import { missingFor, requiredPermissions, verify, type Decision } from '../shared/domain/verify.ts';
import { logger } from '../shared/log.ts';
import { count, latency } from '../shared/metrics.ts';
import type { APIGatewayRequestAuthorizerEvent, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';

const config = getConfig();

export async function handler(event: AuthorizerEvent) {
  const started = performance.now();
  const kind = kindOf(event);
  const credential = credentialOf(event);
  // REST APIs answer 401 for "Unauthorized"; HTTP APIs answer 401 themselves when the identity
  // source is missing, and 403 for isAuthorized: false.
  if (!credential) {
    count('Denied', { reason: 'missing' });
    if (kind === 'http') return { isAuthorized: false };
    throw new Error('Unauthorized');
  }
  let decision: Decision = await verify(credential);
  const route = routeOf(event);
  if (decision.allow && missingFor(decision.grant, requiredPermissions(route)).length > 0) {
    decision = { allow: false, reason: 'permission_missing' };
  }
  latency('VerifyLatency', performance.now() - started);
  count(decision.allow ? 'Verified' : 'Denied', decision.allow ? {} : { reason: decision.reason });
  if (!decision.allow) logger.info('denied', { reason: decision.reason, route, kind });
  if (kind === 'http') return httpResponse(decision);
  const restEvent = event as APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent;
  const denied = decision.allow
    ? Object.entries(config.authorizer.routePermissions)
        .filter(([, needs]) => missingFor(decision.grant, needs).length > 0)
        .map(([r]) => r)
    : [];
  return restPolicy(restEvent, decision, denied);
}
