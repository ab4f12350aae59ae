// Which permissions each route of an API requires (rules.md §4.3), in one place: the map's shape
// and its one validity check, its text form in a stage variable (through which an API in another
// stack gives its own map), the map for a request (configured, merged with the stage's), the
// decision for the route, and the REST routes a grant may not call.
import type { APIGatewayRequestAuthorizerEvent, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { restPolicy } from './authorizer-events.ts';
import type { Decision, Grant } from './decision.ts';
import { logger } from './log.ts';

export type PermissionMap = Readonly<Record<string, readonly string[]>>;

/** The stage variable through which an API in another stack gives its own permission map. */
export const STAGE_PERMISSIONS_VARIABLE = 'tesseraPermissions';

/** A permission map, or undefined: an object of route key -> list of permission names. */
export function asPermissionMap(value: unknown): PermissionMap | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const lists = Object.values(value).every((v) => Array.isArray(v) && v.every((p) => typeof p === 'string'));
  return lists ? (value as PermissionMap) : undefined;
}

/** JSON text of a map (TESSERA_ROUTE_PERMISSIONS), or undefined when it is not one. */
export function parsePermissionMap(text: string): PermissionMap | undefined {
  try {
    return asPermissionMap(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** base64url(JSON {route: [permissions]}), as the TesseraAuthorizer construct writes it. */
export const encodeStageMap = (map: PermissionMap): string => Buffer.from(JSON.stringify(map)).toString('base64url');

export const decodeStageMap = (text: string): PermissionMap | 'invalid' => parsePermissionMap(Buffer.from(text, 'base64url').toString('utf8')) ?? 'invalid';

const stageMaps = new Map<string, PermissionMap | 'invalid'>();

/**
 * The map for a request: the function's configured map, plus the one the calling API's stage
 * carries, which wins for its own routes. A stage map that cannot be read is 'invalid': the
 * authorizer refuses, never ignores it.
 */
export function permissionMapFor(configured: PermissionMap, stageVariables: Readonly<Record<string, string | undefined>> | null | undefined): PermissionMap | 'invalid' {
  const text = stageVariables?.[STAGE_PERMISSIONS_VARIABLE];
  if (typeof text !== 'string' || text === '') return configured;
  let stage = stageMaps.get(text);
  if (stage === undefined) {
    stage = decodeStageMap(text);
    if (stageMaps.size >= 100) stageMaps.clear();
    stageMaps.set(text, stage);
  }
  return stage === 'invalid' ? stage : { ...configured, ...stage };
}

export const missingFor = (grant: Grant, required: readonly string[]) => required.filter((p) => !grant.permissions.includes(p));

/** The answer for this route: the verified decision, unless the grant lacks what the route requires. */
export function decideRoute(verified: Decision, map: PermissionMap | 'invalid', route: string): Decision {
  if (map === 'invalid') logger.error('the stage variable tesseraPermissions is not a permission map; refusing', { route });
  if (!verified.allow || (map !== 'invalid' && missingFor(verified.grant, map[route] ?? []).length === 0)) return verified;
  return { allow: false, reason: 'permission_missing', tokenId: verified.grant.tokenId };
}

/**
 * A REST policy. API Gateway caches it per token for every method of the API, so a valid token
 * that lacks this route's permissions still gets its full policy: Deny statements refuse each
 * route of the map it lacks (403) without refusing those it may call for the cache's lifetime.
 */
export function restAnswer(event: APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent, verified: Decision, decision: Decision, map: PermissionMap | 'invalid') {
  if (map === 'invalid') return restPolicy(event, decision, []);
  const denied = verified.allow ? Object.keys(map).filter((r) => missingFor(verified.grant, map[r]!).length > 0) : [];
  return restPolicy(event, verified, denied);
}
