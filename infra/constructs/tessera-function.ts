// What every Tessera function shares: Node.js 22 on arm64, an esbuild bundle built locally
// (infra/bundling.ts: minified ESM with source maps), X-Ray tracing, its own log group with
// bounded retention, a role without managed policies, and a `live` alias that every trigger
// points at (rollback = move the alias). Store, key and bus access goes through grantAccess(),
// which grants exactly the listed actions and sets the environment variables that name those
// resources.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Alias, Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { statementsOf, type FunctionAccess } from '../access.ts';
import { cdkBundling, LAMBDA_BUNDLE, REPO_ROOT } from '../bundling.ts';
import { acknowledge } from '../nag.ts';

export { REPO_ROOT };

export interface TesseraFunctionProps {
  /** Handler module relative to the repository root (shared/routes.ts `entry`); exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Configuration every container reads at cold start (shared/config.ts); no permission implied. */
  readonly environment: Record<string, string>;
  /** Where asynchronous invocations go once Lambda's retries are spent (grants sqs:SendMessage only). */
  readonly deadLetterQueue?: IQueue;
}

/** The resources a function's access entry refers to. */
export interface StoreResources {
  readonly table: ITable;
  /** Set when the table is encrypted with a customer-managed key (prod). */
  readonly tableKey?: IKey;
  readonly valueKey: IKey;
  /** The HMAC keys of the keyed MACs, newest (signing) first (shared/crypto/mac.ts). */
  readonly macKeys: readonly IKey[];
  readonly bus: IEventBus;
}

export class TesseraFunction extends Construct {
  readonly fn: NodejsFunction;
  /** The alias every trigger invokes; `aws lambda update-alias` rolls it back without a deploy. */
  readonly live: Alias;
  readonly role: Role;
  readonly logGroup: LogGroup;
  private granted = false;

  constructor(scope: Construct, id: string, props: TesseraFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // A role of our own instead of AWSLambdaBasicExecutionRole: it may write to this log group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Tessera ${id}: ${props.description}`.slice(0, 1000),
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Fn', {
      entry: join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      deadLetterQueue: props.deadLetterQueue,
      awsSdkConnectionReuse: false,
      environment: {
        NODE_OPTIONS: LAMBDA_BUNDLE.nodeOptions,
        POWERTOOLS_SERVICE_NAME: 'tessera',
        ...props.environment,
      },
      // infra/bundling.ts: minified ESM, the SDK bundled at the lockfile's versions, and its
      // default credential chain replaced by environment-only credentials.
      bundling: cdkBundling(),
      // Old versions stay, so `live` can be pointed back at one after a bad deploy.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
    });
    this.live = new Alias(this, 'Live', { aliasName: 'live', version: this.fn.currentVersion });

    acknowledge(this.role, 'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords (added by tracing: ACTIVE) do not support resource-level permissions; they can only be granted on "*".');
    acknowledge(this.fn, 'AwsSolutions-L1',
      'The project pins nodejs22.x: the runtime the handlers and tests target; moving to a newer runtime is a deliberate, tested upgrade.');
  }

  /**
   * The one way a function gets store, key and bus access: exactly the actions in `access`, on
   * exactly the table / index / key / bus ARNs, and the environment variables that name them.
   */
  grantAccess(access: FunctionAccess, resources: StoreResources): void {
    if (this.granted) throw new Error(`${this.node.path}: grantAccess may be called once per function`);
    this.granted = true;
    const { table, tableKey, valueKey, macKeys, bus } = resources;
    // shared/config.ts requires these in every container, whether or not it touches them.
    this.fn.addEnvironment('TESSERA_TABLE', table.tableName);
    this.fn.addEnvironment('TESSERA_KEY_SOURCE', `kms:${valueKey.keyArn}`);
    this.fn.addEnvironment('TESSERA_MAC_KEYS', `kms:${macKeys.map((k) => k.keyArn).join(',')}`);

    for (const st of statementsOf(access, { table: table.tableArn, valueKey: valueKey.keyArn, bus: bus.eventBusArn, macKeys: macKeys.map((k) => k.keyArn) })) {
      this.role.addToPrincipalPolicy(new PolicyStatement({
        sid: st.sid,
        actions: [...st.actions],
        resources: [...st.resources],
        ...(st.conditions ? { conditions: st.conditions } : {}),
      }));
    }
    if (tableKey && (access.table.length > 0 || access.query.length > 0)) {
      // A customer-managed table key: DynamoDB uses it on the caller's behalf, and only DynamoDB may.
      const writes = access.table.some((a) => a === 'PutItem' || a === 'UpdateItem' || a === 'DeleteItem');
      this.role.addToPrincipalPolicy(new PolicyStatement({
        sid: 'TableKeyViaDynamoDB',
        actions: writes ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
        resources: [tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }));
    }
    if (access.publish) this.fn.addEnvironment('TESSERA_EVENT_BUS', bus.eventBusName);
  }
}
