// The Lambda authorizer other APIs put in front of their routes (rules.md §4). The rules live in
// shared/domain/verify.ts (the credential) and shared/route-permissions.ts (the route); this file
// only speaks API Gateway's three event kinds and writes the invocation's one usage-and-metrics
// line (shared/usage-line.ts).
import { getConfig } from '../shared/config.ts';
import { credentialOf, httpResponse, kindOf, routeOf, sourceIpOf, stageVariablesOf, type AuthorizerEvent } from '../shared/authorizer-events.ts';
import { networkDecision, useStoreReads, verify } from '../shared/domain/verify.ts';
import { decideRoute, permissionMapFor, restAnswer } from '../shared/route-permissions.ts';
import { lightReads } from '../shared/store/transport-light.ts';
import { emitUsage, outcomeOf } from '../shared/usage-line.ts';
import type { APIGatewayRequestAuthorizerEvent, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';

getConfig();
// The verification path reads without SDK v3 (shared/store/transport-light.ts): a fifth of the
// bundle, a tenth of the import and less CPU per read (BENCHMARKS.md); management keeps the SDK.
useStoreReads(lightReads);

export async function handler(event: AuthorizerEvent) {
  const started = performance.now();
  const kind = kindOf(event);
  const credential = credentialOf(event);
  // REST APIs answer 401 for "Unauthorized"; HTTP APIs answer 401 themselves when the identity
  // source is missing, and 403 for isAuthorized: false.
  if (!credential) {
    emitUsage({ allowed: false, reason: 'missing', latencyMs: performance.now() - started }, getConfig().clock.now());
    if (kind === 'http') return { isAuthorized: false };
    throw new Error('Unauthorized');
  }
  const verified = networkDecision(await verify(credential), sourceIpOf(event));
  const map = permissionMapFor(getConfig().authorizer.routePermissions, stageVariablesOf(event));
  const decision = decideRoute(verified, map, routeOf(event));
  emitUsage(outcomeOf(decision, performance.now() - started), getConfig().clock.now());
  if (kind === 'http') return httpResponse(decision);
  return restAnswer(event as APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent, verified, decision, map);
}
