// What an owner's projection allows (rules.md §1.2, §1.9, §1.10), without any store access: the
// authorizer bundles it, and shared/domain/actor.ts re-exports it for the management functions.
import { permissionsOf, type Permission } from '../catalog.ts';
import type { UserRecord } from '../store/items.ts';

export const effectivePermissions = (user: Pick<UserRecord, 'role' | 'permissions'>): Permission[] =>
  permissionsOf(user.role, user.permissions);

/** Why a known user cannot have tokens now, or null if they can. */
export function tokenBlocker(user: UserRecord | undefined): 'unknown' | 'deleted' | 'disabled' | 'sso' | null {
  if (!user) return 'unknown';
  if (user.status === 'deleted') return 'deleted';
  if (user.status === 'disabled') return 'disabled';
  if (user.authMethod === 'sso') return 'sso';
  return null;
}
