// One Tessera environment: the table, the value key, one function per management route and per
// job (shared/routes.ts), the management HTTP API behind the JWT authorizer, the event bus with
// the identity-event rule and its dead-letter queue, the hourly expiry notices, the authorizer
// exported for other stacks, the example API (dev only), the console page as a static site
// (where the environment enables it), and the alarms and dashboard.
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpMethod, HttpNoneAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { SubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import { AccountPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { ttlRemovalPattern, userEventPattern } from '../shared/events/rules.ts';
import { EXAMPLE_API_CREDENTIALS } from '../shared/authorizer-settings.ts';
import { JOBS, ROUTE_LIST, permissionMap, routeKey, type RouteDef, type RouteId } from '../shared/routes.ts';
import { USAGE_FILTER } from '../shared/usage-line.ts';
import { ACCESS, type JobId } from './access.ts';
import type { TesseraEnvironment } from './environments.ts';
import { ConsoleSite } from './constructs/console-site.ts';
import { tesseraKey, tesseraMacKey } from './constructs/keys.ts';
import { LoggedHttpApi } from './constructs/logged-http-api.ts';
import { Observability } from './constructs/observability.ts';
import { TesseraAuthorizer } from './constructs/tessera-authorizer.ts';
import { TesseraFunction, type StoreResources } from './constructs/tessera-function.ts';
import { TokenTable } from './constructs/token-table.ts';
import { cloudWatchPattern } from './log-patterns.ts';
import { acknowledge } from './nag.ts';
import { EXAMPLE_ROUTE_SIZING, JOB_SIZING, ROUTE_SIZING, type Sizing } from './sizing.ts';

export interface TesseraStackProps extends StackProps {
  readonly config: TesseraEnvironment;
  /** The built console page (web/dist); required when the environment enables consoleSite. */
  readonly consoleSiteDir?: string;
}

/** How long identity events may wait for delivery and retries before they go to the DLQ. */
const USER_EVENT_MAX_AGE = Duration.hours(6);
const USER_EVENT_RETRIES = 2;

export const ssmParameterName = (env: string, name: 'authorizer-arn' | 'event-bus-name' | 'event-bus-arn' | 'api-url') => `/tessera/${env}/${name}`;

type Fn = TesseraFunction;
type Define = (fnId: RouteId | JobId, entry: string, description: string, sizing: Sizing, deadLetterQueue?: Queue) => Fn;

/** A dead-letter queue: encrypted, TLS only, 14 days; it has no DLQ of its own. */
function deadLetterQueue(scope: Construct, id: string, removalPolicy: RemovalPolicy, why: string): Queue {
  const queue = new Queue(scope, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14), removalPolicy });
  acknowledge(queue, 'AwsSolutions-SQS3', why);
  return queue;
}

const routesOf = (api: RouteDef['api']) => ROUTE_LIST.filter((r) => r.api === api);

/**
 * The stack is composed of one method per concern, each building its resources in the stack's
 * own scope: moving them into nested constructs would change their logical ids, and
 * CloudFormation would replace them (a dead-letter queue with its messages, the table's stream
 * subscription) on the next deploy.
 */
export class TesseraStack extends Stack {
  readonly config: TesseraEnvironment;
  /** Every function, keyed by route id or job id. */
  readonly functions = new Map<RouteId | JobId, TesseraFunction>();
  readonly store: TokenTable;
  readonly bus: EventBus;
  readonly managementApi: LoggedHttpApi;
  readonly exampleApi?: LoggedHttpApi;
  readonly userEventsDlq: Queue;
  /** Stream batches the ttl-removals function failed on every retry (their shard positions). */
  readonly streamDlq: Queue;
  readonly observability: Observability;
  /** The console page on S3 + CloudFront, when the environment enables it. */
  readonly consoleSite?: ConsoleSite;
  private readonly removalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: TesseraStackProps) {
    super(scope, id, props);
    const env = (this.config = props.config);
    this.removalPolicy = env.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.store = new TokenTable(this, 'Store', env);
    this.bus = this.eventBus(env);
    const resources = this.storeResources(env);
    // Identity events that failed every retry, from the rule's delivery and from the function.
    this.userEventsDlq = deadLetterQueue(this, 'UserEventsDlq', this.removalPolicy,
      'This queue is the dead-letter queue of the user-events rule and function; it has no DLQ of its own, and its depth alarms instead.');
    const define = this.functionFactory(env, resources);
    for (const route of routesOf('management')) define(route.id, route.entry, `${routeKey(route)}: ${route.summary}`, ROUTE_SIZING);
    const job = (jobId: JobId, dlq?: Queue) => define(jobId, JOBS[jobId].entry, JOBS[jobId].summary, JOB_SIZING[jobId], dlq);
    const authorizer = job('authorizer');
    const userEvents = job('userEvents', this.userEventsDlq);
    const legacyImport = job('legacyImport');
    const expiryNotices = job('expiryNotices');
    const ttlRemovals = job('ttlRemovals');
    const usage = job('usage');
    // The console page's bucket and distribution come before the API, so the API's CORS can allow
    // the distribution's origin; the page itself after it, with a config.json naming the API.
    if (env.consoleSite) {
      if (!props.consoleSiteDir) throw new Error('consoleSite is on but no consoleSiteDir was given (infra/build.ts builds web/dist).');
      this.consoleSite = new ConsoleSite(this, 'Console', { environment: env.name, siteDir: props.consoleSiteDir, removalPolicy: this.removalPolicy, logRetention: env.logRetention });
    }
    this.managementApi = this.buildManagementApi(env);
    this.consoleSite?.deployPage({ apiBase: this.managementApi.api.apiEndpoint });
    this.configureAuthorizer(env, authorizer, usage);
    this.identityEvents(env, userEvents);
    this.schedules(expiryNotices);
    this.streamDlq = this.ttlRemovalStream(ttlRemovals);
    this.exampleApi = env.exampleApi ? this.buildExampleApi(env, authorizer, define) : undefined;
    this.observability = new Observability(this, 'Observability', {
      env,
      apis: { management: this.managementApi, ...(this.exampleApi ? { example: this.exampleApi } : {}) },
      managementApi: this.managementApi,
      functions: this.functions,
      authorizer,
      userEventsDlq: this.userEventsDlq,
      streamDlq: this.streamDlq,
    });
    this.outputs(env, authorizer, legacyImport);
  }

  /** The bus: identity events in, token events out; other accounts may publish as the identity source. */
  private eventBus(env: TesseraEnvironment): EventBus {
    const bus = new EventBus(this, 'Bus', { eventBusName: `tessera-${env.name}`, description: `Tessera ${env.name}: identity events in, token events out` });
    if (env.identityPublisherAccounts.length > 0) {
      bus.addToResourcePolicy(new PolicyStatement({
        sid: 'IdentityPublishers',
        principals: env.identityPublisherAccounts.map((a) => new AccountPrincipal(a)),
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': env.identitySource } },
      }));
    }
    return bus;
  }

  /** The table, the bus and the keys a function may be granted. */
  private storeResources(env: TesseraEnvironment): StoreResources {
    const retain = env.removalPolicy === 'retain';
    const valueKey = tesseraKey(this, 'ValueKey', { description: `Tessera ${env.name}: seals token values kept for "view value"`, alias: `alias/tessera/${env.name}/values`, retain });
    // Newest generation first: it signs; the older ones keep verifying (README "Keys").
    const macKeys = Array.from({ length: env.macKeyGenerations }, (_, i) => i + 1)
      .reverse()
      .map((g) => tesseraMacKey(this, `MacKey${g}`, { description: `Tessera ${env.name}: keyed MACs of cursors and value tags, generation ${g}`, alias: `alias/tessera/${env.name}/mac-${g}`, retain }));
    return { table: this.store.table, tableKey: this.store.key, valueKey, macKeys, bus: this.bus };
  }

  /** Defines one function: sizing, environment, log retention, and its grants (infra/access.ts). */
  private functionFactory(env: TesseraEnvironment, resources: StoreResources): Define {
    const environment = {
      TESSERA_JWT_ISSUER: env.jwtIssuer,
      TESSERA_JWT_AUDIENCE: env.jwtAudience,
      TESSERA_IDENTITY_SOURCE: env.identitySource,
      TESSERA_LOG_LEVEL: env.logLevel,
    };
    return (fnId, entry, description, sizing, deadLetterQueue) => {
      const fn = new TesseraFunction(this, fnId, {
        entry,
        description,
        memorySize: sizing.memorySize,
        timeout: Duration.seconds(sizing.timeoutSeconds),
        deadLetterQueue,
        logRetention: env.logRetention,
        removalPolicy: this.removalPolicy,
        environment,
      });
      fn.grantAccess(ACCESS[fnId], resources);
      this.functions.set(fnId, fn);
      return fn;
    };
  }

  /** The management HTTP API: one route per row of the route table, behind the JWT authorizer. */
  private buildManagementApi(env: TesseraEnvironment): LoggedHttpApi {
    const api = new LoggedHttpApi(this, 'ManagementApi', {
      apiName: `tessera-${env.name}`,
      description: `Tessera ${env.name}: token management API`,
      corsOrigins: [...env.corsOrigins, ...(this.consoleSite ? [this.consoleSite.origin] : [])],
      throttle: env.throttle,
      logRetention: env.logRetention,
      removalPolicy: this.removalPolicy,
    });
    const jwt = new HttpJwtAuthorizer('Jwt', env.jwtIssuer, { authorizerName: 'jwt', jwtAudience: [env.jwtAudience] });
    const open = new HttpNoneAuthorizer();
    for (const route of routesOf('management')) {
      if (route.auth === 'tessera') throw new Error(`${route.id}: the management API takes JWTs, not Tessera tokens`);
      const [created] = api.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, this.functions.get(route.id)!.live),
        authorizer: route.auth === 'jwt' ? jwt : open,
      });
      if (route.throttle) api.throttleRoute(routeKey(route), route.throttle);
      if (route.auth === 'none') {
        acknowledge(created, 'AwsSolutions-APIG4', `${routeKey(route)} is public by design (rules.md §3: ${route.summary}); it reads no user data.`);
      }
    }
    // The leak endpoint trusts reports signed by the keys of this document (shared/crypto/leak-keys.ts).
    this.functions.get('reportLeaks')!.fn.addEnvironment('TESSERA_LEAK_KEYS', env.leakKeysUrl);
    return api;
  }

  /** The authorizer for other APIs: its caches and route permissions, and its usage lines counted. */
  private configureAuthorizer(env: TesseraEnvironment, authorizer: Fn, usage: Fn): void {
    authorizer.fn.addEnvironment('TESSERA_AUTH_CACHE_SECONDS', String(env.containerCacheSeconds));
    authorizer.fn.addEnvironment('TESSERA_AUTH_DENY_CACHE_SECONDS', String(Math.min(5, env.containerCacheSeconds)));
    TesseraAuthorizer.requirePermissions(authorizer.fn, permissionMap('example'));
    TesseraAuthorizer.requirePermissions(authorizer.fn, env.extraRoutePermissions);
    // The same filter object the local runtime matches lines with (local/log-subscriptions.ts).
    new SubscriptionFilter(this, 'UsageSubscription', {
      logGroup: authorizer.logGroup,
      destination: new LambdaDestination(usage.live),
      filterPattern: cloudWatchPattern(USAGE_FILTER),
      filterName: USAGE_FILTER.name,
    });
  }

  /** Identity events in, with retries and the dead-letter queue. */
  private identityEvents(env: TesseraEnvironment, userEvents: Fn): void {
    // The pattern the local bus matches with; CDK spells `detail-type` as `detailType`.
    const { source, 'detail-type': detailType } = userEventPattern(env.identitySource);
    const rule = new Rule(this, 'UserEventsRule', {
      eventBus: this.bus,
      description: `UserChanged / UserDeleted from ${env.identitySource} -> user-events`,
      eventPattern: { source, detailType },
    });
    rule.addTarget(new LambdaFunction(userEvents.live, { retryAttempts: USER_EVENT_RETRIES, maxEventAge: USER_EVENT_MAX_AGE, deadLetterQueue: this.userEventsDlq }));
    // An invalid event is thrown by the handler (functions/user-events.ts): Lambda retries it,
    // then its dead-letter queue (the same queue) receives the original event.
    userEvents.live.configureAsyncInvoke({ retryAttempts: USER_EVENT_RETRIES, maxEventAge: USER_EVENT_MAX_AGE });
  }

  /** TokenExpiringSoon, hourly. */
  private schedules(expiryNotices: Fn): void {
    new Rule(this, 'ExpiryNoticesSchedule', {
      description: 'Hourly: TokenExpiringSoon events (a missed run is caught up by the next)',
      schedule: Schedule.rate(Duration.hours(1)),
      targets: [new LambdaFunction(expiryNotices.live, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
  }

  /**
   * The week-later deletion into the activity log: the table's stream, filtered so that only
   * DynamoDB's own TTL deletions of token items reach the function (shared/events/rules.ts; the
   * local sweeper emits the same records through the same filter).
   */
  private ttlRemovalStream(ttlRemovals: Fn): Queue {
    const dlq = deadLetterQueue(this, 'StreamDlq', this.removalPolicy, 'This queue is the failure destination of the stream subscription; it has no DLQ of its own.');
    ttlRemovals.live.addEventSource(new DynamoEventSource(this.store.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      bisectBatchOnError: true,
      retryAttempts: 10,
      maxRecordAge: Duration.days(1),
      onFailure: new SqsDlq(dlq),
      filters: [{ pattern: JSON.stringify(ttlRemovalPattern) }],
    }));
    return dlq;
  }

  /** The example API (dev only), behind the Tessera authorizer. */
  private buildExampleApi(env: TesseraEnvironment, authorizer: Fn, define: Define): LoggedHttpApi {
    const exampleApi = new LoggedHttpApi(this, 'ExampleApi', {
      apiName: `tessera-${env.name}-example`,
      description: `Tessera ${env.name}: example API behind the Tessera authorizer`,
      corsOrigins: [],
      throttle: env.throttle,
      logRetention: env.logRetention,
      removalPolicy: this.removalPolicy,
    });
    const tesseraAuth = new TesseraAuthorizer(this, 'ExampleAuthorizer', {
      handler: authorizer.live,
      permissions: permissionMap('example'),
      cacheTtl: Duration.seconds(env.authorizerCacheSeconds),
      credentials: EXAMPLE_API_CREDENTIALS,
    });
    for (const route of routesOf('example')) {
      const fn = define(route.id, route.entry, `${routeKey(route)}: ${route.summary}`, EXAMPLE_ROUTE_SIZING);
      exampleApi.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn.live),
        authorizer: tesseraAuth.forHttpApi(exampleApi.api, exampleApi.stage),
      });
    }
    new CfnOutput(this, 'ExampleApiUrl', { value: exampleApi.url, description: 'Example API behind the Tessera authorizer (dev only)' });
    return exampleApi;
  }

  /** Outputs, and SSM parameters for other stacks. */
  private outputs(env: TesseraEnvironment, authorizer: Fn, legacyImport: Fn): void {
    const publish = (outputId: string, value: string, description: string, parameter?: Parameters<typeof ssmParameterName>[1]) => {
      new CfnOutput(this, outputId, { value, description });
      if (parameter) new StringParameter(this, `${outputId}Parameter`, { parameterName: ssmParameterName(env.name, parameter), stringValue: value, description });
    };
    publish('ApiUrl', this.managementApi.url, 'Management API base URL (routes under /v1)', 'api-url');
    publish('EventBusName', this.bus.eventBusName, 'Bus the identity system publishes UserChanged / UserDeleted to', 'event-bus-name');
    publish('EventBusArn', this.bus.eventBusArn, 'ARN of the bus', 'event-bus-arn');
    publish('AuthorizerArn', authorizer.live.functionArn, 'Tessera authorizer (live alias) for other APIs', 'authorizer-arn');
    publish('LegacyImportFunctionName', legacyImport.fn.functionName, 'Operator job: aws lambda invoke --function-name <this>:live (README, Deploy)');
    publish('UserEventsDlqUrl', this.userEventsDlq.queueUrl, 'Identity events that failed every retry');
    publish('DashboardName', this.observability.dashboard.dashboardName, 'CloudWatch dashboard');
    if (this.consoleSite) {
      publish('ConsoleUrl', `${this.consoleSite.origin}/`, 'The API tokens console page (CloudFront), talking to this API');
      publish('ConsoleBucketName', this.consoleSite.bucket.bucketName,
        env.removalPolicy === 'retain' ? 'Bucket of the console page (kept when the stack is deleted)' : 'Bucket of the console page; empty it before deleting the stack');
    }
  }
}
