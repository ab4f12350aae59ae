// GET /v1/me: the caller as Tessera knows them, and why they cannot have tokens if they cannot.
import { PERMISSIONS, ROLES, isAdminRole } from '../catalog.ts';
import { ForbiddenError } from '../errors.ts';
import { ACTOR_NEEDS, effectivePermissions, loadUser, tokenBlocker, type Claims } from './actor.ts';

export const ME_NEEDS = ACTOR_NEEDS;

const REASONS = {
  sso: 'You sign in with SSO. SSO users have no API tokens: their access is governed by your identity provider, and tokens you had were disabled when you switched.',
  disabled: 'Your account is disabled, so you cannot use API tokens.',
} as const;

export async function describeMe(claims: Claims) {
  const user = await loadUser(claims);
  const blocker = tokenBlocker(user);
  if (blocker === 'unknown' || blocker === 'deleted') throw new ForbiddenError('This user is not known to Tessera.');
  const u = user!;
  return {
    user: {
      tenantId: u.tenantId, userId: u.userId, role: u.role, status: u.status, authMethod: u.authMethod,
      email: u.email, isAdmin: isAdminRole(u.role),
    },
    canUseTokens: blocker === null,
    reasonCode: blocker,
    reason: blocker ? REASONS[blocker] : null,
    grantablePermissions: blocker ? [] : effectivePermissions(u),
    catalog: { permissions: [...PERMISSIONS], roles: ROLES },
  };
}
