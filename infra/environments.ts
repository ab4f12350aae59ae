// The deployment environments as typed data: one entry per environment, overridable with
// `-c key=value` context at synth time. An unknown name fails synth with the valid names.
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DEFAULT_AUTHORIZER_CACHE_SECONDS } from '../shared/authorizer-settings.ts';

export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

export interface AlarmThresholds {
  /** Percentage of requests answered 5xx, per API, over five minutes. */
  readonly api5xxRatePercent: number;
  /** Uncaught errors per function in five minutes. */
  readonly lambdaErrors: number;
  /** Throttled invocations, summed over Tessera's functions, in five minutes. */
  readonly lambdaThrottles: number;
  /** Authorizer errors (each one is a 5xx for every API that uses it) in five minutes. */
  readonly authorizerErrors: number;
  /** Messages in the user-event dead-letter queue; 1 means "any". */
  readonly userEventDlqMessages: number;
}

export interface TesseraEnvironment {
  readonly name: EnvironmentName;
  /** Both unset: an environment-agnostic stack, deployed wherever the CLI's credentials point. */
  readonly account?: string;
  readonly region?: string;
  /** The OIDC issuer the management API's JWT authorizer trusts (e.g. a Cognito user pool URL). */
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  /** The `source` the identity system publishes UserChanged / UserDeleted with. */
  readonly identitySource: string;
  /** Accounts other than this one allowed to publish identity events to the bus. */
  readonly identityPublisherAccounts: readonly string[];
  /** Browser origins allowed by the management API's CORS configuration; empty means no CORS. */
  readonly corsOrigins: readonly string[];
  readonly logRetention: RetentionDays;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * API Gateway's authorizer result cache (the Tessera authorizer on HTTP and REST APIs). Off by
   * default: a cached API Gateway answer cannot be revoked, so any value here adds to the 2 s
   * revocation bound (README, "Caching and the worst-case revocation delay").
   */
  readonly authorizerCacheSeconds: number;
  /** The authorizer's own per-container cache (TESSERA_AUTH_CACHE_SECONDS); revoked through the feed. */
  readonly containerCacheSeconds: number;
  /** Default stage throttling of each HTTP API. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly alarms: AlarmThresholds;
  /** An existing SNS topic that receives alarm state changes; none when unset. */
  readonly alarmTopicArn?: string;
  /** 'retain' keeps the table, keys and log groups when the stack is deleted or they are replaced. */
  readonly removalPolicy: 'retain' | 'destroy';
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
  /** Encrypt the table with a customer-managed KMS key instead of the AWS-owned one. */
  readonly tableCustomerManagedKey: boolean;
  /** The example API behind the Tessera authorizer (rules.md §6), for trying the authorizer out. */
  readonly exampleApi: boolean;
  /**
   * The console page (web/) as a static site: a private S3 bucket behind CloudFront, whose
   * config.json points the page at this environment's management API (docs/console.md).
   */
  readonly consoleSite: boolean;
  /** Route key -> permissions for APIs in other stacks that use the imported authorizer. */
  readonly extraRoutePermissions: Readonly<Record<string, readonly string[]>>;
  /** The secret-scanning public keys for POST /v1/leaks (TESSERA_LEAK_KEYS): GitHub's document by default. */
  readonly leakKeysUrl: string;
  /**
   * HMAC key generations for cursors and value tags (README "Keys"): raise by one to rotate; the
   * newest signs, every older one keeps verifying the values minted under it.
   */
  readonly macKeyGenerations: number;
}

/** Revocation reaches every API within this bound at the latest (rules.md §1.6, §4.4). */
export const MAX_REVOCATION_SECONDS = 60;

const DEFAULTS = {
  identitySource: 'tessera.identity',
  identityPublisherAccounts: [],
  authorizerCacheSeconds: DEFAULT_AUTHORIZER_CACHE_SECONDS,
  containerCacheSeconds: 10,
  logLevel: 'INFO',
  pointInTimeRecovery: true,
  extraRoutePermissions: {},
  leakKeysUrl: 'https://api.github.com/meta/public_keys/secret_scanning',
  macKeyGenerations: 1,
} as const;

export const ENVIRONMENTS: Record<EnvironmentName, TesseraEnvironment> = {
  dev: {
    ...DEFAULTS,
    name: 'dev',
    jwtIssuer: 'https://auth.dev.example.com/',
    jwtAudience: 'tessera-dev',
    corsOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000'],
    logRetention: RetentionDays.ONE_WEEK,
    logLevel: 'DEBUG',
    throttle: { rateLimit: 50, burstLimit: 100 },
    alarms: { api5xxRatePercent: 5, lambdaErrors: 5, lambdaThrottles: 5, authorizerErrors: 5, userEventDlqMessages: 1 },
    removalPolicy: 'destroy',
    deletionProtection: false,
    tableCustomerManagedKey: false,
    exampleApi: true,
    consoleSite: true,
  },
  staging: {
    ...DEFAULTS,
    name: 'staging',
    jwtIssuer: 'https://auth.staging.example.com/',
    jwtAudience: 'tessera-staging',
    corsOrigins: ['https://console.staging.example.com'],
    logRetention: RetentionDays.ONE_MONTH,
    throttle: { rateLimit: 200, burstLimit: 400 },
    alarms: { api5xxRatePercent: 2, lambdaErrors: 3, lambdaThrottles: 1, authorizerErrors: 1, userEventDlqMessages: 1 },
    removalPolicy: 'destroy',
    deletionProtection: false,
    tableCustomerManagedKey: false,
    exampleApi: false,
    consoleSite: true,
  },
  prod: {
    ...DEFAULTS,
    name: 'prod',
    jwtIssuer: 'https://auth.example.com/',
    jwtAudience: 'tessera',
    corsOrigins: ['https://console.example.com'],
    logRetention: RetentionDays.THREE_MONTHS,
    throttle: { rateLimit: 1000, burstLimit: 2000 },
    alarms: { api5xxRatePercent: 1, lambdaErrors: 1, lambdaThrottles: 1, authorizerErrors: 1, userEventDlqMessages: 1 },
    removalPolicy: 'retain',
    deletionProtection: true,
    tableCustomerManagedKey: true,
    exampleApi: false,
    // Off by default: prod users reach the page through the product's console (corsOrigins); a
    // Tessera-hosted copy would have the *.cloudfront.net certificate and paste-a-token sign-in.
    consoleSite: false,
  },
};

export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

/** Context keys that override a field of the chosen environment (`-c jwtIssuer=https://...`). */
export const OVERRIDABLE = [
  'account', 'region', 'jwtIssuer', 'jwtAudience', 'identitySource', 'identityPublisherAccounts', 'corsOrigins',
  'authorizerCacheSeconds', 'containerCacheSeconds', 'logLevel', 'alarmTopicArn', 'consoleSite',
] as const;

type Context = Record<string, unknown>;

const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : String(value).split(',').map((s) => s.trim()).filter(Boolean);

const bool = (key: string, value: unknown): boolean => {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new EnvironmentError(`Context ${key} must be true or false, got ${JSON.stringify(value)}.`);
};

const int = (key: string, value: unknown): number => {
  const n = typeof value === 'number' ? value : Number(String(value));
  if (!Number.isInteger(n) || n < 0) throw new EnvironmentError(`Context ${key} must be a whole number of seconds, got ${JSON.stringify(value)}.`);
  return n;
};

/** The environment `name`, with context overrides applied and validated. */
export function resolveEnvironment(name: unknown, context: Context = {}): TesseraEnvironment {
  const key = name === undefined ? 'dev' : typeof name === 'string' ? name : JSON.stringify(name);
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(key)) {
    throw new EnvironmentError(`Unknown environment "${key}". Valid names: ${ENVIRONMENT_NAMES.join(', ')} (pass -c env=<name>).`);
  }
  const base = ENVIRONMENTS[key as EnvironmentName];
  const has = (k: (typeof OVERRIDABLE)[number]) => context[k] !== undefined && context[k] !== '';
  const env: TesseraEnvironment = {
    ...base,
    ...(has('account') ? { account: String(context.account) } : {}),
    ...(has('region') ? { region: String(context.region) } : {}),
    ...(has('jwtIssuer') ? { jwtIssuer: String(context.jwtIssuer) } : {}),
    ...(has('jwtAudience') ? { jwtAudience: String(context.jwtAudience) } : {}),
    ...(has('identitySource') ? { identitySource: String(context.identitySource) } : {}),
    ...(has('identityPublisherAccounts') ? { identityPublisherAccounts: list(context.identityPublisherAccounts) } : {}),
    ...(has('corsOrigins') ? { corsOrigins: list(context.corsOrigins) } : {}),
    ...(has('authorizerCacheSeconds') ? { authorizerCacheSeconds: int('authorizerCacheSeconds', context.authorizerCacheSeconds) } : {}),
    ...(has('containerCacheSeconds') ? { containerCacheSeconds: int('containerCacheSeconds', context.containerCacheSeconds) } : {}),
    ...(has('logLevel') ? { logLevel: String(context.logLevel).toUpperCase() as TesseraEnvironment['logLevel'] } : {}),
    ...(has('alarmTopicArn') ? { alarmTopicArn: String(context.alarmTopicArn) } : {}),
    ...(has('consoleSite') ? { consoleSite: bool('consoleSite', context.consoleSite) } : {}),
  };
  validate(env);
  return env;
}

/**
 * From a revocation to the refusal in every container: the feed is read once a second, then the
 * changed item is read strongly consistent (shared/domain/revocation-watch.ts).
 */
export const FEED_REVOCATION_SECONDS = 2;

/**
 * Worst case from a revocation to its effect on every API: API Gateway's cache, which nothing can
 * revoke, plus the feed. The container cache no longer adds to it: the feed ends its acceptances.
 */
export const worstCaseRevocationSeconds = (env: Pick<TesseraEnvironment, 'authorizerCacheSeconds'>) =>
  env.authorizerCacheSeconds + FEED_REVOCATION_SECONDS;

function validate(env: TesseraEnvironment): void {
  const problems: string[] = [];
  if (!/^https:\/\/[^\s/]+/.test(env.jwtIssuer)) problems.push(`jwtIssuer must be an https URL, got "${env.jwtIssuer}"`);
  if (!env.jwtAudience.trim()) problems.push('jwtAudience must not be empty');
  if (!/^[A-Za-z0-9._-]{1,256}$/.test(env.identitySource)) problems.push(`identitySource "${env.identitySource}" is not a valid EventBridge source`);
  for (const account of env.identityPublisherAccounts) if (!/^\d{12}$/.test(account)) problems.push(`identityPublisherAccounts: "${account}" is not a 12-digit account id`);
  if (env.account !== undefined && !/^\d{12}$/.test(env.account)) problems.push(`account "${env.account}" is not a 12-digit account id`);
  if (env.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(env.region)) problems.push(`region "${env.region}" is not an AWS region name`);
  for (const origin of env.corsOrigins) if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`corsOrigins: "${origin}" is not an origin (scheme://host[:port])`);
  if (!Number.isInteger(env.macKeyGenerations) || env.macKeyGenerations < 1 || env.macKeyGenerations > 10) {
    problems.push(`macKeyGenerations must be a whole number from 1 to 10, got ${env.macKeyGenerations}`);
  }
  if (env.authorizerCacheSeconds > 3600) problems.push('authorizerCacheSeconds must be at most 3600 (API Gateway limit)');
  if (worstCaseRevocationSeconds(env) > MAX_REVOCATION_SECONDS) {
    problems.push(
      `authorizerCacheSeconds (${env.authorizerCacheSeconds}) + ${FEED_REVOCATION_SECONDS} must be at most ${MAX_REVOCATION_SECONDS} s (worst-case revocation delay)`,
    );
  }
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(env.logLevel)) problems.push(`logLevel must be DEBUG, INFO, WARN or ERROR, got "${env.logLevel}"`);
  if (env.alarmTopicArn !== undefined && !/^arn:aws[a-z-]*:sns:/.test(env.alarmTopicArn)) problems.push(`alarmTopicArn "${env.alarmTopicArn}" is not an SNS topic ARN`);
  if (env.name === 'prod' && (env.removalPolicy !== 'retain' || !env.deletionProtection || !env.pointInTimeRecovery)) {
    problems.push('prod must retain the table with deletion protection and point-in-time recovery');
  }
  if (problems.length > 0) throw new EnvironmentError(`Environment "${env.name}" is invalid: ${problems.join('; ')}.`);
}
