// The Lambda authorizer other APIs put in front of their routes (rules.md §4). The rules live in
// shared/domain/verify.ts; this file only speaks API Gateway's three event kinds and writes the
// invocation's one usage-and-metrics line (shared/usage-line.ts).
import { getConfig } from '../shared/config.ts';
import { credentialOf, httpResponse, kindOf, restPolicy, routeOf, sourceIpOf, type AuthorizerEvent } from '../shared/authorizer-events.ts';
import { missingFor, networkDecision, permissionMapFor, useStoreReads, verify, type Decision } from '../shared/domain/verify.ts';
import { logger } from '../shared/log.ts';
import { lightReads } from '../shared/store/transport-light.ts';
import { emitUsage } from '../shared/usage-line.ts';
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
  const route = routeOf(event);
  const map = permissionMapFor((event as { stageVariables?: Record<string, string> | null }).stageVariables);
  if (map === 'invalid') logger.error('the stage variable tesseraPermissions is not a permission map; refusing', { route });
  const decision: Decision =
    verified.allow && (map === 'invalid' || missingFor(verified.grant, map[route] ?? []).length > 0)
      ? { allow: false, reason: 'permission_missing', tokenId: verified.grant.tokenId }
      : verified;
  emitUsage(
    decision.allow
      ? { allowed: true, tokenId: decision.grant.tokenId, latencyMs: performance.now() - started }
      : { allowed: false, tokenId: decision.tokenId, reason: decision.reason, latencyMs: performance.now() - started },
    getConfig().clock.now(),
  );
  if (kind === 'http') return httpResponse(decision);
  // API Gateway caches a REST policy per token for every method of the API, so a valid token that
  // lacks this route's permissions still gets its full policy: the Deny statements refuse this
  // route (403) without refusing the routes it may call for the rest of the cache TTL.
  const restEvent = event as APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent;
  if (map === 'invalid') return restPolicy(restEvent, decision, []);
  const denied = verified.allow
    ? Object.entries(map)
        .filter(([, needs]) => missingFor(verified.grant, needs).length > 0)
        .map(([r]) => r)
    : [];
  return restPolicy(restEvent, verified, denied);
}
