// The request and response shapes of rules.md §3, as zod schemas. Handlers validate with them;
// the OpenAPI document is generated from them (shared/http/openapi.ts).
import { z } from 'zod';
import { ERROR_CODES } from '../errors.ts';
import { PERMISSIONS, ROLE_NAMES } from '../catalog.ts';
import { TOKEN_ID_PATTERN } from '../ids.ts';
import { canonicalCidr, cidrProblem, MAX_CIDRS } from '../networks.ts';

const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' });
const permission = z.enum(PERMISSIONS, { message: `unknown permission; known: ${PERMISSIONS.join(', ')}` });
const permissionList = z
  .array(permission)
  .min(1, 'a token needs at least one permission')
  .max(PERMISSIONS.length * 2)
  .meta({ description: 'A non-empty subset of the permissions the owner holds now.' });

// ---- text rules (README "Names and descriptions") ----------------------------------------------
// Names and descriptions are shown to other people (administrators, lists, events), so text that
// can hide or disguise what it says is refused, and what is kept is normalized to NFC so that
// two names that look the same are the same string. Lengths count code points, not UTF-16 units.

/** C0 and C1 control characters and DEL (Unicode general category Cc). */
const CONTROL = /\p{Cc}/u;
/** The same, except newline and tab, which a description may contain. */
const CONTROL_EXCEPT_LINES = /[^\P{Cc}\n\t]/u;
/** A surrogate that is not half of a pair (in a /u regex, pairs are one code point and never match). */
const LONE_SURROGATE = /\p{Cs}/u;
/** Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

export const codePoints = (text: string): number => [...text].length;

/** Text as people read it: well-formed UTF-16, no controls, no bidi overrides, NFC, not blank. */
function displayText(opts: { max: number; allowLines: boolean; trim: boolean }) {
  const controls = opts.allowLines ? CONTROL_EXCEPT_LINES : CONTROL;
  const base = opts.trim ? z.string().trim() : z.string();
  return base
    .check(
      z.refine((s) => !LONE_SURROGATE.test(s), { message: 'must not contain lone surrogates (malformed UTF-16)', abort: true }),
      z.refine((s) => !controls.test(s), {
        message: opts.allowLines ? 'must not contain control characters other than newline and tab' : 'must not contain control characters',
        abort: true,
      }),
      z.refine((s) => !BIDI_CONTROL.test(s), { message: 'must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)', abort: true }),
      z.refine((s) => s.trim().length > 0, { message: 'must not be empty', abort: true }),
    )
    .overwrite((s) => s.normalize('NFC'))
    .refine((s) => codePoints(s) <= opts.max, { message: `at most ${opts.max} characters` });
}

// JSON Schema counts lengths in code points, as these rules do.
const name = displayText({ max: 100, allowLines: false, trim: true }).meta({
  minLength: 1,
  maxLength: 100,
  description: 'Trimmed and normalized to NFC; at most 100 characters (code points); no control or bidirectional control characters.',
});
const description = displayText({ max: 500, allowLines: true, trim: false }).meta({
  minLength: 1,
  maxLength: 500,
  description: 'Normalized to NFC; at most 500 characters (code points); newline and tab allowed, no other control or bidirectional control characters.',
});

const cidr = z.string().superRefine((text, ctx) => {
  const problem = cidrProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text.slice(0, 64))}: ${problem}` });
});
const allowedCidrs = z
  .array(cidr)
  .min(1, 'at least one block; null removes the restriction')
  .max(MAX_CIDRS, `at most ${MAX_CIDRS} blocks`)
  .transform((list) => [...new Set(list.map(canonicalCidr))])
  .meta({ description: `Source networks (IPv4/IPv6 CIDR blocks, at most ${MAX_CIDRS}) the token may be used from; requests from elsewhere are refused.` });

/** Creates and renews: a retry with the same key, caller and request returns the first answer. */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7E]{1,255}$/, 'must be 1 to 255 visible ASCII characters')
    .optional()
    .meta({
      description:
        'Makes the request safe to retry: sent again by the same caller with the same key and the same request within 24 hours, it returns the first answer (value included) and changes nothing; with another request it answers 409 CONFLICT.',
    }),
});

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
    allowedCidrs: allowedCidrs.nullable().optional(),
  })
  .meta({ id: 'CreateTokenBody' });

export const PatchTokenBody = z
  .strictObject({
    name: name.optional(),
    description: description.nullable().optional(),
    permissions: permissionList.optional(),
    expiresAt: isoDateTime.nullable().optional().meta({ description: 'null clears the expiry.' }),
    enabled: z.boolean().optional(),
    allowedCidrs: allowedCidrs.nullable().optional().meta({ description: 'null removes the restriction.' }),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'name, description, permissions, expiresAt, enabled or allowedCidrs is required' })
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

/** A whole number in query text: digits only, so "", "1e1", " 2" and "0x10" are refused. */
const queryInt = (min: number, max: number) =>
  z.string().regex(/^\d{1,6}$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min, `at least ${min}`).max(max, `at most ${max}`));

/** unusedForDays: up to ten years, which covers every token a tenant may still hold. */
export const UNUSED_FOR_DAYS_MAX = 3650;

export const ListTokensQuery = z.strictObject({
  owner: z.string().min(1).max(128).optional(),
  status: z.enum(STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(512).optional(),
  unusedForDays: queryInt(1, UNUSED_FOR_DAYS_MAX)
    .optional()
    .meta({ description: `Only tokens not used for this many days (1–${UNUSED_FOR_DAYS_MAX}), never-used ones included.` }),
});

export const UsageQuery = z.strictObject({
  days: queryInt(1, 90).default(30).meta({ description: 'UTC days, today included (1–90, default 30).' }),
});

export const UsageJson = z
  .object({
    tokenId: z.string(),
    lastUsedAt: z.string().nullable(),
    days: z.array(z.object({ date: z.string().meta({ description: 'yyyy-mm-dd (UTC)' }), verified: z.number().int(), denied: z.number().int() }))
      .meta({ description: 'Oldest first; every day present, zeros included.' }),
  })
  .meta({ id: 'TokenUsage' });

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
    disabledReason: z.enum(['manual', 'owner_disabled', 'owner_sso', 'owner_deleted', 'permissions_revoked', 'leaked']).nullable(),
    allowedCidrs: z.array(z.string()).nullable().meta({ description: 'Source networks the token may be used from; null when unrestricted.' }),
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
    /** Why the caller cannot use tokens: 'sso' (rules.md §1.9) or 'disabled'; null when they can. */
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
      code: z.enum(ERROR_CODES),
      message: z.string(),
      requestId: z.string(),
      fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const AUDIT_ACTION_NAMES = ['created', 'updated', 'enabled', 'disabled', 'renewed', 'deleted', 'expired'] as const;

export const AuditQuery = z.strictObject({
  tokenId: z.string().regex(TOKEN_ID_PATTERN, 'not a token id').optional(),
  actorId: z.string().min(1).max(128).optional(),
  action: z.enum(AUDIT_ACTION_NAMES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(512).optional(),
});

const AuditActorJson = z.union([
  z.object({ type: z.literal('user'), userId: z.string() }),
  z.object({ type: z.literal('system'), reason: z.string() }),
]);

export const AuditEntryJson = z
  .object({
    id: z.string(),
    at: z.string(),
    action: z.enum(AUDIT_ACTION_NAMES),
    tokenId: z.string(),
    tokenName: z.string(),
    actor: AuditActorJson,
    changes: z.array(z.string()).optional().meta({ description: 'The fields an update changed (never their values).' }),
    reason: z.string().optional().meta({ description: 'Why a system actor acted, e.g. owner_disabled, leaked.' }),
    url: z.string().optional().meta({ description: 'Where a leaked value was found (leak reports).' }),
  })
  .meta({ id: 'AuditEntry' });

export const AuditPage = z.object({ items: z.array(AuditEntryJson), nextCursor: z.string().nullable() }).meta({ id: 'AuditPage' });

/** GitHub's secret-scanning partner payload (docs.github.com, "Secret scanning partner program"). */
export const MAX_LEAK_REPORT_BYTES = 1024 * 1024;
export const MAX_LEAK_REPORT_ENTRIES = 1000;
const reportText = (max: number) => z.string().max(max, `at most ${max} characters`);

export const LeakReport = z
  .array(
    z.object({
      token: reportText(1024).min(1, 'must not be empty'),
      type: reportText(256),
      url: reportText(2048),
      source: reportText(256),
    }),
  )
  .max(MAX_LEAK_REPORT_ENTRIES, `at most ${MAX_LEAK_REPORT_ENTRIES} entries`)
  .meta({ id: 'LeakReport', description: 'Signed with ECDSA P-256 / SHA-256 over the raw body: Github-Public-Key-Signature (base64), Github-Public-Key-Identifier.' });

export const LeakReply = z
  .array(
    z.object({
      token_hash: z.string().meta({ description: 'SHA-256 of the reported value, hex; the value itself is never echoed.' }),
      token_type: z.string(),
      label: z.enum(['true_positive', 'false_positive']),
    }),
  )
  .meta({ id: 'LeakReply' });

export type LeakReportInput = z.infer<typeof LeakReport>;
export type AuditQueryInput = z.infer<typeof AuditQuery>;
export type AuditEntryJsonShape = z.infer<typeof AuditEntryJson>;
export type CreateTokenInput = z.infer<typeof CreateTokenBody>;
export type PatchTokenInput = z.infer<typeof PatchTokenBody>;
export type RenewTokenInput = z.infer<typeof RenewTokenBody>;
export type ListTokensInput = z.infer<typeof ListTokensQuery>;
export type UsageJsonShape = z.infer<typeof UsageJson>;
export type TokenJsonShape = z.infer<typeof TokenJson>;
