// Configuration, read from the environment once (at cold start) and validated: a missing or
// malformed value fails the container before the first request, never during one.
import { z } from 'zod';
import { clock, type Clock } from './clock.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const routePermissions = z
  .string()
  .default('{}')
  .transform((text, ctx) => {
    try {
      return z.record(z.string(), z.array(z.string())).parse(JSON.parse(text));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of route -> permission list' });
      return z.NEVER;
    }
  });

const keySource = z
  .string()
  .regex(/^(file:.+|kms:.+)$/, 'must be file:<path> (local key ring) or kms:<key id or ARN>')
  .transform((value) => {
    const [kind, ...rest] = value.split(':');
    return { kind: kind as 'file' | 'kms', ref: rest.join(':') };
  });

const schema = z.object({
  TESSERA_TABLE: z.string().min(3),
  TESSERA_STORE_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().default('us-east-1'),
  TESSERA_JWT_ISSUER: z.string().min(1),
  TESSERA_JWT_AUDIENCE: z.string().min(1),
  TESSERA_KEY_SOURCE: keySource,
  TESSERA_EVENT_BUS: z.string().optional(),
  TESSERA_IDENTITY_SOURCE: z.string().default('tessera.identity'),
  TESSERA_EVENT_SOURCE: z.string().default('tessera.tokens'),
  TESSERA_AUTH_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
  TESSERA_AUTH_DENY_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  TESSERA_ROUTE_PERMISSIONS: routePermissions,
  TESSERA_SDK_CONNECT_TIMEOUT_MS: positiveInt(1000),
  TESSERA_SDK_REQUEST_TIMEOUT_MS: positiveInt(3000),
  TESSERA_SDK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(5).default(3),
  TESSERA_LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
});

export interface Config {
  tableName: string;
  storeEndpoint?: string;
  region: string;
  jwt: { issuer: string; audience: string };
  keySource: { kind: 'file' | 'kms'; ref: string };
  eventBus?: string;
  identitySource: string;
  eventSource: string;
  authorizer: { cacheSeconds: number; denyCacheSeconds: number; routePermissions: Record<string, string[]> };
  sdk: { connectTimeoutMs: number; requestTimeoutMs: number; maxAttempts: number };
  logLevel: string;
  clock: Clock;
}

export class ConfigError extends Error {}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid Tessera configuration: ${problems}`);
  }
  const e = parsed.data;
  // Denials are never cached longer than acceptances (issue 4).
  const denyCacheSeconds = Math.min(e.TESSERA_AUTH_DENY_CACHE_SECONDS, e.TESSERA_AUTH_CACHE_SECONDS);
  return {
    tableName: e.TESSERA_TABLE,
    storeEndpoint: e.TESSERA_STORE_ENDPOINT,
    region: e.AWS_REGION,
    jwt: { issuer: e.TESSERA_JWT_ISSUER, audience: e.TESSERA_JWT_AUDIENCE },
    keySource: e.TESSERA_KEY_SOURCE,
    eventBus: e.TESSERA_EVENT_BUS || undefined,
    identitySource: e.TESSERA_IDENTITY_SOURCE,
    eventSource: e.TESSERA_EVENT_SOURCE,
    authorizer: { cacheSeconds: e.TESSERA_AUTH_CACHE_SECONDS, denyCacheSeconds, routePermissions: e.TESSERA_ROUTE_PERMISSIONS },
    sdk: {
      connectTimeoutMs: e.TESSERA_SDK_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: e.TESSERA_SDK_REQUEST_TIMEOUT_MS,
      maxAttempts: e.TESSERA_SDK_MAX_ATTEMPTS,
    },
    logLevel: e.TESSERA_LOG_LEVEL,
    clock,
  };
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use; handlers call it at module load. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** For the local runtime and tests, which set the environment before handlers load. */
export function resetConfig(): void {
  cached = undefined;
}
