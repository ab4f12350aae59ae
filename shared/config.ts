// Configuration, read from the environment once (at cold start) and validated: a missing or
// malformed value fails the container before the first request, never during one. Checked by
// hand, not with zod: every function imports this module, and zod was 450 KB of the authorizer's
// 850 KB bundle and a third of its cold start (BENCHMARKS.md).
import { clock, isoNow, type Clock } from './clock.ts';
import { parsePermissionMap, type PermissionMap } from './route-permissions.ts';

type Env = Record<string, string | undefined>;

/** Reads variables one by one and collects every problem, so one failure names them all. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private problem<T>(name: string, message: string, placeholder: T): T {
    this.problems.push(`${name}: ${message}`);
    return placeholder;
  }

  /** A value that must be set, at least `min` characters (code points) long. */
  required(name: string, min = 1): string {
    const text = this.env[name];
    if (text === undefined) return this.problem(name, 'is required', '');
    return [...text].length >= min ? text : this.problem(name, `must be at least ${min} characters long`, '');
  }

  /** The value as set (even empty), else the fallback. */
  text(name: string, fallback: string): string {
    return this.env[name] ?? fallback;
  }

  /** An integer from min to max, read as Number() reads text; the fallback when unset. */
  integer(name: string, min: number, max: number, fallback: number): number {
    const text = this.env[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    return this.problem(name, max === MAX ? `must be an integer of at least ${min}` : `must be an integer from ${min} to ${max}`, fallback);
  }

  /** An absolute URL, blanks around it trimmed; undefined when unset. */
  url(name: string): string | undefined {
    const text = this.env[name];
    if (text === undefined) return undefined;
    const trimmed = text.trim();
    return URL.canParse(trimmed) ? trimmed.replace(/[\t\n\r]/g, '') : this.problem(name, 'must be a URL', undefined);
  }

  oneOf<const T extends string>(name: string, values: readonly T[], fallback: T): T {
    const text = this.env[name] ?? fallback;
    return (values as readonly string[]).includes(text) ? (text as T) : this.problem(name, `must be one of ${values.join(' ')}`, fallback);
  }

  /** A value `parse` turns into T, or refuses with undefined; `fallback` stands in when unset. */
  parsed<T>(name: string, fallback: string | undefined, message: string, parse: (text: string) => T | undefined): T | undefined {
    const text = this.env[name] ?? fallback;
    const value = text === undefined ? undefined : parse(text);
    return value === undefined ? this.problem(name, message, undefined) : value;
  }
}

function keySourceOf(text: string): Config['keySource'] | undefined {
  if (!/^(file:.+|kms:.+)$/.test(text)) return undefined;
  const [kind, ...rest] = text.split(':');
  return { kind: kind as 'file' | 'kms', ref: rest.join(':') };
}

/** file:<key ring> or kms:<HMAC key ARN>[,<older ARN>...] (the first signs, all verify). */
function macKeysOf(text: string): Config['macKeys'] | undefined {
  const file = /^file:(.+)$/.exec(text);
  if (file) return { kind: 'file', refs: [file[1]] };
  const kms = /^kms:(.+)$/.exec(text);
  const refs = kms?.[1].split(',').map((r) => r.trim());
  return refs && refs.every((r) => r.length > 0) ? { kind: 'kms', refs } : undefined;
}

/** Where secret-scanning public keys are: an https URL (AWS) or a file path (locally). */
function leakKeysOf(text: string): Config['leakKeys'] | undefined {
  if (/^https:\/\//i.test(text)) return URL.canParse(text) ? { kind: 'url', ref: text } : undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.trim() === '') return undefined; // http:// and other schemes are refused
  return { kind: 'file', ref: text };
}

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
const MAX = Number.MAX_SAFE_INTEGER;

function readEnv(env: Env) {
  const r = new EnvReader(env);
  const values = {
    TESSERA_TABLE: r.required('TESSERA_TABLE', 3),
    TESSERA_STORE_ENDPOINT: r.url('TESSERA_STORE_ENDPOINT'),
    AWS_REGION: r.text('AWS_REGION', 'us-east-1'),
    TESSERA_JWT_ISSUER: r.required('TESSERA_JWT_ISSUER'),
    TESSERA_JWT_AUDIENCE: r.required('TESSERA_JWT_AUDIENCE'),
    TESSERA_KEY_SOURCE: r.parsed('TESSERA_KEY_SOURCE', undefined, 'must be file:<path> (local key ring) or kms:<key id or ARN>', keySourceOf)!,
    // Locally the MAC keys come from the same key ring as the sealing keys; in AWS from a KMS HMAC key.
    TESSERA_MAC_KEYS: r.parsed(
      'TESSERA_MAC_KEYS',
      env.TESSERA_KEY_SOURCE?.startsWith('file:') ? env.TESSERA_KEY_SOURCE : undefined,
      'must be file:<key ring path> or kms:<HMAC key ARN>[,<older ARN>...] (required when TESSERA_KEY_SOURCE is kms:)',
      macKeysOf,
    )!,
    TESSERA_EVENT_BUS: env.TESSERA_EVENT_BUS,
    TESSERA_IDENTITY_SOURCE: r.text('TESSERA_IDENTITY_SOURCE', 'tessera.identity'),
    TESSERA_EVENT_SOURCE: r.text('TESSERA_EVENT_SOURCE', 'tessera.tokens'),
    TESSERA_AUTH_CACHE_SECONDS: r.integer('TESSERA_AUTH_CACHE_SECONDS', 0, 60, 10),
    TESSERA_AUTH_DENY_CACHE_SECONDS: r.integer('TESSERA_AUTH_DENY_CACHE_SECONDS', 0, 60, 5),
    TESSERA_ROUTE_PERMISSIONS: r.parsed('TESSERA_ROUTE_PERMISSIONS', '{}', 'must be a JSON object of route -> permission list', parsePermissionMap)!,
    TESSERA_SDK_CONNECT_TIMEOUT_MS: r.integer('TESSERA_SDK_CONNECT_TIMEOUT_MS', 1, MAX, 1000),
    TESSERA_SDK_REQUEST_TIMEOUT_MS: r.integer('TESSERA_SDK_REQUEST_TIMEOUT_MS', 1, MAX, 3000),
    TESSERA_SDK_MAX_ATTEMPTS: r.integer('TESSERA_SDK_MAX_ATTEMPTS', 1, 5, 3),
    TESSERA_LOG_LEVEL: r.oneOf('TESSERA_LOG_LEVEL', LOG_LEVELS, 'INFO'),
    TESSERA_LEAK_KEYS:
      env.TESSERA_LEAK_KEYS === undefined ? undefined : r.parsed('TESSERA_LEAK_KEYS', undefined, 'must be an https:// URL or a file path', leakKeysOf),
  };
  return { values, problems: r.problems };
}

export interface Config {
  tableName: string;
  storeEndpoint?: string;
  region: string;
  jwt: { issuer: string; audience: string };
  keySource: { kind: 'file' | 'kms'; ref: string };
  /** Keys of the keyed MACs (cursors, value tags): shared/crypto/mac.ts. */
  macKeys: { kind: 'file' | 'kms'; refs: string[] };
  eventBus?: string;
  identitySource: string;
  eventSource: string;
  authorizer: { cacheSeconds: number; denyCacheSeconds: number; routePermissions: PermissionMap };
  sdk: { connectTimeoutMs: number; requestTimeoutMs: number; maxAttempts: number };
  logLevel: string;
  /** Secret-scanning public keys (GitHub's format); unset: every leak report is refused (401). */
  leakKeys?: { kind: 'url' | 'file'; ref: string };
  clock: Clock;
}

export class ConfigError extends Error {}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const { values: e, problems } = readEnv(env);
  if (problems.length > 0) throw new ConfigError(`Invalid Tessera configuration: ${problems.join('; ')}`);
  // Denials are never cached longer than acceptances (rules.md §4.4).
  const denyCacheSeconds = Math.min(e.TESSERA_AUTH_DENY_CACHE_SECONDS, e.TESSERA_AUTH_CACHE_SECONDS);
  return {
    tableName: e.TESSERA_TABLE,
    storeEndpoint: e.TESSERA_STORE_ENDPOINT,
    region: e.AWS_REGION,
    jwt: { issuer: e.TESSERA_JWT_ISSUER, audience: e.TESSERA_JWT_AUDIENCE },
    keySource: e.TESSERA_KEY_SOURCE,
    macKeys: e.TESSERA_MAC_KEYS,
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
    leakKeys: e.TESSERA_LEAK_KEYS,
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

/** Now on the service clock, as ISO-8601 UTC text. */
export const serviceNowIso = (): string => isoNow(getConfig().clock);
