// Who is calling: the JWT's subject resolved against the user projection (rules.md §1, §1.9).
import { isAdminRole, type Permission } from '../catalog.ts';
import { ForbiddenError, SsoUserError } from '../errors.ts';
import { getUser, USER_STORE_NEEDS, type UserRecord } from '../store/users.ts';
import { effectivePermissions, tokenBlocker } from './owner.ts';

/** The store calls of loadUser and requireTokenActor (shared/grants.ts). */
export const ACTOR_NEEDS = USER_STORE_NEEDS.getUser;

export interface Claims {
  tenantId: string;
  userId: string;
}

export interface Actor {
  user: UserRecord;
  tenantId: string;
  userId: string;
  isAdmin: boolean;
  /** What the user holds now: the role's set, or the explicit list that replaces it. */
  permissions: Permission[];
}

export { effectivePermissions, tokenBlocker };

export async function loadUser(claims: Claims): Promise<UserRecord | undefined> {
  return getUser(claims.tenantId, claims.userId);
}

/** The actor for a token route: known, active, and not an SSO user. */
export async function requireTokenActor(claims: Claims): Promise<Actor> {
  const user = await loadUser(claims);
  switch (tokenBlocker(user)) {
    case 'unknown':
    case 'deleted':
      throw new ForbiddenError('This user is not known to Tessera.');
    case 'disabled':
      throw new ForbiddenError('This user is disabled.');
    case 'sso':
      throw new SsoUserError();
  }
  const u = user!;
  return { user: u, tenantId: u.tenantId, userId: u.userId, isAdmin: isAdminRole(u.role), permissions: effectivePermissions(u) };
}
