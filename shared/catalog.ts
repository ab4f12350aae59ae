// The default role and permission catalog (rules.md §2). Data, in one place.

export const PERMISSIONS = [
  'events:read',
  'events:write',
  'rules:read',
  'rules:write',
  'nodes:read',
  'nodes:write',
  'integrations:read',
  'integrations:write',
  'api_inventory:read',
  'api_inventory:write',
  'users:read',
  'users:write',
  'settings:read',
  'settings:write',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const READ_ONLY: Permission[] = ['events:read', 'rules:read', 'nodes:read', 'integrations:read', 'api_inventory:read', 'settings:read'];
const ANALYST: Permission[] = ['events:read', 'events:write', 'rules:read', 'nodes:read', 'integrations:read', 'api_inventory:read', 'settings:read'];

export const ROLES = {
  admin: [...PERMISSIONS],
  global_admin: [...PERMISSIONS],
  analyst: ANALYST,
  global_analyst: ANALYST,
  read_only: READ_ONLY,
  global_read_only: READ_ONLY,
  api_developer: ['api_inventory:read', 'api_inventory:write'],
  deploy: ['nodes:read', 'nodes:write'],
} as const satisfies Record<string, readonly Permission[]>;

export type Role = keyof typeof ROLES;
export const ROLE_NAMES = Object.keys(ROLES) as Role[];
export const ADMIN_ROLES: readonly Role[] = ['admin', 'global_admin'];

export const isRole = (name: string): name is Role => Object.hasOwn(ROLES, name);
export const isAdminRole = (role: string): boolean => (ADMIN_ROLES as readonly string[]).includes(role);

/** An explicit list replaces the role's set (rules.md §2); unknown roles hold nothing. */
export function permissionsOf(role: string, explicit?: readonly string[] | null): Permission[] {
  const source: readonly string[] = explicit ?? (isRole(role) ? ROLES[role] : []);
  return PERMISSIONS.filter((p) => source.includes(p));
}

/** Sorted in catalog order, duplicates removed. */
export const normalizePermissions = (names: readonly string[]): Permission[] => PERMISSIONS.filter((p) => names.includes(p));
