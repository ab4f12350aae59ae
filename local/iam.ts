// The local runtime's IAM: the decision AWS makes before a function's call reaches DynamoDB, KMS
// or EventBridge. Each function has an identity of its own (local/identities.ts); its policy is the
// statements CDK writes for it (statementsOf in infra/access.ts, from its grant), evaluated the way
// IAM evaluates identity policies: an explicit match of action, resource and conditions allows,
// anything else is refused with AWS's AccessDeniedException. The decision is pure (no I/O, no
// clock); the interceptors at the end put it in front of the local store, KMS and bus endpoints.
import { statementsOf, type FunctionAccess, type PolicyStatementData, type ResourceArns } from '../infra/access.ts';
import { dynamoError, jsonReply, type Interceptor } from './store-proxy.ts';

export const LOCAL_ACCOUNT = '000000000000';

export interface Principal {
  /** The route or job id (infra/access.ts). */
  readonly functionId: string;
  /** The Lambda function's name: the session name of its role's credentials. */
  readonly functionName: string;
  /** The role's name. */
  readonly roleName: string;
  readonly access: FunctionAccess;
}

/** One request to one resource, as IAM authorizes it (BatchGetItem is one call per table). */
export interface Call {
  /** `dynamodb:GetItem`, `kms:Decrypt`, `events:PutEvents`... */
  readonly action: string;
  readonly resource: string;
  /** Condition keys the request carries, e.g. `kms:EncryptionContext:purpose`. */
  readonly context?: Readonly<Record<string, string>>;
}

export interface AwsErrorReply {
  readonly status: number;
  readonly body: { __type: string; message: string };
}

export type Decision = { allow: true } | { allow: false; reply: AwsErrorReply };
export type { FunctionAccess, ResourceArns };

const ERROR_TYPE: Record<string, string> = {
  dynamodb: 'com.amazon.coral.service#AccessDeniedException',
  kms: 'AccessDeniedException',
  events: 'AccessDeniedException',
};

export const tableArnOf = (region: string, tableName: string) => `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${tableName}`;

export const localBusArn = (region: string, name = 'tessera-local') => `arn:aws:events:${region}:${LOCAL_ACCOUNT}:event-bus/${name}`;

export const principalArn = (p: Pick<Principal, 'roleName' | 'functionName'>) =>
  `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${p.roleName}/${p.functionName}`;

/** AWS's refusal for a call no identity-based policy allows, in the service's JSON error shape. */
export function accessDenied(p: Pick<Principal, 'roleName' | 'functionName'>, call: Call): AwsErrorReply {
  const service = call.action.split(':')[0];
  return {
    status: 400,
    body: {
      __type: ERROR_TYPE[service] ?? 'AccessDeniedException',
      message: `User: ${principalArn(p)} is not authorized to perform: ${call.action} on resource: ${call.resource} because no identity-based policy allows the ${call.action} action`,
    },
  };
}

/** AWS's answer to an access key id it does not know. */
export function unrecognizedClient(service: string): AwsErrorReply {
  return {
    status: 400,
    body: {
      __type: service === 'dynamodb' ? 'com.amazon.coral.service#UnrecognizedClientException' : 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    },
  };
}

function statementAllows(s: PolicyStatementData, call: Call): boolean {
  if (!s.actions.includes(call.action) || !s.resources.includes(call.resource)) return false;
  for (const [operator, pairs] of Object.entries(s.conditions ?? {})) {
    if (operator !== 'StringEquals') return false; // an operator this evaluator does not know never allows
    for (const [key, wanted] of Object.entries(pairs)) if (call.context?.[key] !== wanted) return false;
  }
  return true;
}

/**
 * Allows the call only if one of the principal's statements does; IAM's default is deny. The
 * statements are those CDK writes from the principal's grant, unless `policy` is given (the
 * statements of a synthesized template, as `npm run parity` reads them).
 */
export function decide(p: Principal, arns: ResourceArns, call: Call, policy?: readonly PolicyStatementData[]): Decision {
  const allowed = (policy ?? statementsOf(p.access, arns)).some((s) => statementAllows(s, call));
  return allowed ? { allow: true } : { allow: false, reply: accessDenied(p, call) };
}

/** The calls IAM authorizes for one DynamoDB request (JSON protocol body, X-Amz-Target operation). */
export function dynamoCalls(operation: string, body: Record<string, unknown>, region: string): Call[] {
  const tableArn = (name: unknown) => tableArnOf(region, String(name));
  const action = `dynamodb:${operation}`;
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    return Object.keys((body.RequestItems as Record<string, unknown>) ?? {}).map((t) => ({ action, resource: tableArn(t) }));
  }
  if ((operation === 'Query' || operation === 'Scan') && typeof body.IndexName === 'string') {
    return [{ action, resource: `${tableArn(body.TableName)}/index/${body.IndexName}` }];
  }
  return [{ action, resource: tableArn(body.TableName) }];
}

// ---- enforcement on the local endpoints ---------------------------------------------------

/** What the local runtime's IAM knows: each function's grant and the ARNs its policy names. */
export interface LocalIam {
  readonly region: string;
  readonly arns: ResourceArns;
  /** The grant each function id holds; tests may replace one to show the enforcement failing. */
  readonly grants: Map<string, FunctionAccess>;
  /** A function's policy as written elsewhere (a synthesized template); it replaces the grant's. */
  readonly policies: Map<string, readonly PolicyStatementData[]>;
  /** Identities that stand for AWS itself or an operator (table creation, TTL sweeper, tests' snapshots). */
  readonly unrestricted: ReadonlySet<string>;
  /** Refusals so far, for figures and tests. */
  readonly refusals: { functionId: string; action: string; resource: string }[];
}

export function createLocalIam(options: { region: string; arns: ResourceArns; grants: Record<string, FunctionAccess>; unrestricted: Iterable<string> }): LocalIam {
  return {
    region: options.region, arns: options.arns, grants: new Map(Object.entries(options.grants)), policies: new Map(),
    unrestricted: new Set(options.unrestricted), refusals: [],
  };
}

export type IamVerdict = { allow: true } | { allow: false; reply: AwsErrorReply };

/**
 * The verdict for calls signed with `accessKeyId`, made by `functionId` (local/identities.ts):
 * an unknown key is refused as AWS refuses it; the runtime's own identities pass; a function's
 * calls pass only if its policy allows every one of them.
 */
export function authorize(iam: LocalIam, service: string, accessKeyId: string | undefined, functionId: string | undefined, calls: Call[]): IamVerdict {
  if (!accessKeyId || !functionId) return { allow: false, reply: unrecognizedClient(service) };
  if (iam.unrestricted.has(functionId)) return { allow: true };
  const access = iam.grants.get(functionId);
  const principal: Principal = { functionId, functionName: functionId, roleName: `tessera-${functionId}-role`, access: access ?? accessOfNothing };
  for (const call of calls) {
    const d = decide(principal, iam.arns, call, iam.policies.get(functionId));
    if (!d.allow) {
      iam.refusals.push({ functionId, action: call.action, resource: call.resource });
      return d;
    }
  }
  return { allow: true };
}

const accessOfNothing: FunctionAccess = { table: [], query: [], valueKey: [], publish: false, macKey: false };

/** The store proxy's IAM interceptor (local/store-proxy.ts): every DynamoDB call passes it first. */
export function storeIamInterceptor(iam: LocalIam): Interceptor {
  return async (call, next) => {
    const verdict = authorize(iam, 'dynamodb', call.accessKeyId, call.functionId, dynamoCalls(call.action, call.body, iam.region));
    return verdict.allow ? next() : dynamoError(verdict.reply.status, verdict.reply.body.__type, verdict.reply.body.message);
  };
}

/**
 * IAM for a local EventBridge endpoint: events:PutEvents on the bus each entry names (a name, an
 * ARN, or the default bus when absent).
 */
export function eventsIamInterceptor(iam: LocalIam): Interceptor {
  return async (call, next) => {
    const entries = (call.body.Entries as { EventBusName?: string }[] | undefined) ?? [];
    const busArn = (name: string | undefined) => (name?.startsWith('arn:') ? name : localBusArn(iam.region, name ?? 'default'));
    // Entries for a bus that does not exist here are answered per entry by the bus (ResourceNotFound).
    const calls: Call[] = [...new Set(entries.map((e) => busArn(e.EventBusName)))]
      .filter((resource) => resource === iam.arns.bus)
      .map((resource) => ({ action: `events:${call.action}`, resource }));
    const verdict = authorize(iam, 'events', call.accessKeyId, call.functionId, calls);
    return verdict.allow ? next() : jsonReply(verdict.reply.status, verdict.reply.body, '1.1');
  };
}
