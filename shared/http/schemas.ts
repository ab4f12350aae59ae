// The request and response shapes of API.md §3, as zod schemas. Handlers validate with them;
// the OpenAPI document is generated from them (shared/http/openapi.ts).
import { z } from 'zod';
import { PERMISSIONS, ROLE_NAMES } from '../catalog.ts';
import { TOKEN_ID_PATTERN } from '../ids.ts';

const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' });
const permission = z.enum(PERMISSIONS, { message: `unknown permission; known: ${PERMISSIONS.join(', ')}` });
const permissionList = z
  .array(permission)
  .min(1, 'a token needs at least one permission')
  .max(PERMISSIONS.length * 2)
  .meta({ description: 'A non-empty subset of the permissions the owner holds now.' });
const name = z.string().trim().min(1, 'must not be empty').max(100, 'at most 100 characters');
const description = z.string().max(500, 'at most 500 characters');

export const TokenIdParam = z.object({
  id: z.string().regex(TOKEN_ID_PATTERN, 'not a token id'),
});

export const CreateTokenBody = z
  .strictObject({
    name,
    permissions: permissionList,
    expiresAt: isoDateTime.optional().meta({ description: 'Must be in the future.' }),
    visibility: z.enum(['private', 'shared']).optional().meta({ description: 'shared: administrators only.' }),
    description: description.optional(),
  })
  .meta({ id: 'CreateTokenBody' });

export const PatchTokenBody = z
  .strictObject({
    name: name.optional(),
    description: description.nullable().optional(),
    permissions: permissionList.optional(),
    expiresAt: isoDateTime.nullable().optional().meta({ description: 'null clears the expiry.' }),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'name, description, permissions, expiresAt or enabled is required' })
  .meta({ id: 'PatchTokenBody' });

export const RenewTokenBody = z
  .strictObject({
    graceSeconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(0)
      .max(86_400, 'at most 86400 (24 h)')
      .optional()
      .meta({ description: 'Keeps the old value valid this long, never past the expiry.' }),
  })
  .meta({ id: 'RenewTokenBody' });

export const STATUSES = ['enabled', 'disabled', 'expired'] as const;

export const ListTokensQuery = z.strictObject({
  owner: z.string().min(1).max(128).optional(),
  status: z.enum(STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(512).optional(),
});

const nullableTime = z.string().nullable();

export const TokenJson = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    ownerId: z.string(),
    tenantId: z.string(),
    visibility: z.enum(['private', 'shared']),
    legacy: z.boolean(),
    permissions: z.array(permission).nullable(),
    status: z.enum(STATUSES),
    disabledReason: z.enum(['manual', 'owner_disabled', 'owner_sso', 'owner_deleted', 'permissions_revoked']).nullable(),
    expiresAt: nullableTime,
    disabledAt: nullableTime,
    deleteAt: nullableTime,
    createdAt: z.string(),
    updatedAt: z.string(),
    lastUsedAt: nullableTime,
    hint: z.string(),
  })
  .meta({ id: 'Token' });

export const TokenWithValue = z.object({ token: TokenJson, value: z.string() }).meta({ id: 'TokenWithValue' });
export const TokenValue = z.object({ value: z.string() }).meta({ id: 'TokenValue' });
export const TokenPage = z.object({ items: z.array(TokenJson), nextCursor: z.string().nullable() }).meta({ id: 'TokenPage' });

export const MeJson = z
  .object({
    user: z.object({
      tenantId: z.string(),
      userId: z.string(),
      role: z.string(),
      status: z.enum(['active', 'disabled', 'deleted']),
      authMethod: z.enum(['password', 'sso']),
      email: z.string().nullable(),
      isAdmin: z.boolean(),
    }),
    canUseTokens: z.boolean(),
    /** Why the caller cannot use tokens: 'sso' (API.md §1.9) or 'disabled'; null when they can. */
    reasonCode: z.enum(['sso', 'disabled']).nullable(),
    reason: z.string().nullable(),
    grantablePermissions: z.array(permission),
    catalog: z.object({ permissions: z.array(z.string()), roles: z.record(z.enum(ROLE_NAMES), z.array(z.string())) }),
  })
  .meta({ id: 'Me' });

export const HealthJson = z.object({ status: z.literal('ok'), time: z.string() }).meta({ id: 'Health' });

export const ErrorJson = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string(),
      fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

export type CreateTokenInput = z.infer<typeof CreateTokenBody>;
export type PatchTokenInput = z.infer<typeof PatchTokenBody>;
export type RenewTokenInput = z.infer<typeof RenewTokenBody>;
export type ListTokensInput = z.infer<typeof ListTokensQuery>;
export type TokenJsonShape = z.infer<typeof TokenJson>;
