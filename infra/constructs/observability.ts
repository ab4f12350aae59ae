// Alarms and the dashboard. Custom metrics come from the authorizer's one EMF line per invocation
// (shared/usage-line.ts): namespace `Tessera`, dimension service=tessera, `Verified`,
// `Denied` (+ reason) and `VerifyLatency` (ms). Token creates are counted from the management
// API's access log (a metric filter on POST /v1/tokens answered 201), so no handler changes.
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUTHORIZATION_DEFECT, DEFECT_LOG_FIELD } from '../../shared/defects.ts';
import { ROUTES, routeKey } from '../../shared/routes.ts';
import { worstCaseRevocationSeconds, type TesseraEnvironment } from '../environments.ts';
import type { LoggedHttpApi } from './logged-http-api.ts';
import type { TesseraFunction } from './tessera-function.ts';

import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../shared/usage-line.ts';

export { METRICS_NAMESPACE, METRICS_SERVICE };
export const TOKEN_CREATED_METRIC = 'TokenCreated';
/** Counted from every function's log lines that shared/defects.ts writes when AWS refuses a call. */
export const AUTHORIZATION_DEFECT_METRIC = 'AuthorizationDefects';

const FIVE_MINUTES = Duration.minutes(5);
/** CloudWatch accepts at most 10 metrics in one alarm's math expression. */
const MAX_METRICS_PER_ALARM = 10;

export interface ObservabilityProps {
  readonly env: TesseraEnvironment;
  readonly apis: Readonly<Record<string, LoggedHttpApi>>;
  readonly managementApi: LoggedHttpApi;
  readonly functions: ReadonlyMap<string, TesseraFunction>;
  readonly authorizer: TesseraFunction;
  readonly userEventsDlq: IQueue;
  /** Stream batches the ttl-removals function failed on every retry. */
  readonly streamDlq: IQueue;
}

const tessera = (metricName: string, statistic: string, label?: string, dimensionsMap: Record<string, string> = {}) =>
  new Metric({ namespace: METRICS_NAMESPACE, metricName, statistic, period: FIVE_MINUTES, label, dimensionsMap: { service: METRICS_SERVICE, ...dimensionsMap } });

/** Messages waiting in a dead-letter queue, by the minute. */
const queueDepth = (queue: IQueue) => queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });

type AlarmProps = ConstructorParameters<typeof Alarm>[2];

/**
 * One method per concern; the constructor calls them in a fixed order, which is the order of the
 * template's resources and of the dashboard's alarm widget.
 */
export class Observability extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  private readonly env: TesseraEnvironment;
  private readonly topic?: ITopic;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.env = props.env;
    this.topic = props.env.alarmTopicArn ? Topic.fromTopicArn(this, 'AlarmTopic', props.env.alarmTopicArn) : undefined;
    this.addApi5xxAlarms(props.apis);
    this.addFunctionErrorAlarms(props.functions, props.authorizer);
    this.addThrottleAlarms([...props.functions.values()]);
    this.addAuthorizationDefectAlarm(props.functions);
    this.addQueueAndAuditAlarms(props);
    this.addTokenCreatedFilter(props.managementApi);
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: this.name('overview'), defaultInterval: Duration.hours(24) });
    this.addDashboardWidgets(props);
  }

  private name(suffix: string): string {
    return `tessera-${this.env.name}-${suffix}`;
  }

  /** Every alarm treats missing data as fine and notifies the alarm topic, when there is one, both ways. */
  private alarm(alarmId: string, alarmProps: AlarmProps): void {
    const created = new Alarm(this, alarmId, { treatMissingData: TreatMissingData.NOT_BREACHING, ...alarmProps });
    if (this.topic) {
      created.addAlarmAction(new SnsAction(this.topic));
      created.addOkAction(new SnsAction(this.topic));
    }
    this.alarms.push(created);
  }

  private addApi5xxAlarms(apis: ObservabilityProps['apis']): void {
    const { env } = this;
    for (const [apiName, api] of Object.entries(apis)) {
      this.alarm(`${apiName}5xxRate`, {
        alarmName: this.name(`${apiName}-5xx-rate`),
        alarmDescription: `More than ${env.alarms.api5xxRatePercent}% of ${apiName} API requests answered 5xx in 5 minutes.`,
        metric: api.serverErrorRate(FIVE_MINUTES),
        threshold: env.alarms.api5xxRatePercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
  }

  /** The authorizer's errors are every protected API's 5xx, so they get their own name. */
  private addFunctionErrorAlarms(functions: ObservabilityProps['functions'], authorizer: TesseraFunction): void {
    const { env } = this;
    for (const [fnName, fn] of functions) {
      const isAuthorizer = fn === authorizer;
      this.alarm(isAuthorizer ? 'AuthorizerErrors' : `${fnName}Errors`, {
        alarmName: this.name(isAuthorizer ? 'authorizer-errors' : `${fnName}-errors`),
        alarmDescription: isAuthorizer
          ? 'The Tessera authorizer failed (store or key errors): APIs behind it answer 5xx.'
          : `Uncaught errors in ${fnName}.`,
        metric: fn.fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: isAuthorizer ? env.alarms.authorizerErrors : env.alarms.lambdaErrors,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
  }

  /** Throttles, summed over the functions, in groups that fit one alarm. */
  private addThrottleAlarms(all: readonly TesseraFunction[]): void {
    for (let i = 0; i < all.length; i += MAX_METRICS_PER_ALARM) {
      const group = all.slice(i, i + MAX_METRICS_PER_ALARM);
      const usingMetrics = Object.fromEntries(group.map((fn, j) => [`t${j}`, fn.fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' })]));
      const part = Math.floor(i / MAX_METRICS_PER_ALARM) + 1;
      this.alarm(`Throttles${part}`, {
        alarmName: this.name(`throttles-${part}`),
        alarmDescription: `Throttled invocations of ${group.map((fn) => fn.node.id).join(', ')}.`,
        metric: new MathExpression({ expression: Object.keys(usingMetrics).map((k) => `FILL(${k}, 0)`).join(' + '), usingMetrics, period: FIVE_MINUTES, label: 'throttles' }),
        threshold: this.env.alarms.lambdaThrottles,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
  }

  /**
   * AWS refused a call for lack of permission: a grant is missing. Every function logs it as
   * one error line (shared/defects.ts); one refusal is enough to page.
   */
  private addAuthorizationDefectAlarm(functions: ObservabilityProps['functions']): void {
    for (const [fnName, fn] of functions) {
      new MetricFilter(this, `${fnName}AuthorizationDefects`, {
        logGroup: fn.logGroup,
        metricNamespace: METRICS_NAMESPACE,
        metricName: AUTHORIZATION_DEFECT_METRIC,
        filterPattern: FilterPattern.stringValue(`$.${DEFECT_LOG_FIELD}`, '=', AUTHORIZATION_DEFECT),
        metricValue: '1',
      });
    }
    this.alarm('AuthorizationDefects', {
      alarmName: this.name('authorization-defects'),
      alarmDescription: 'AWS refused a call of a Tessera function for lack of permission (a missing grant, README: Grants); the request answered 500. The log line names the function, action and resource.',
      metric: new Metric({ namespace: METRICS_NAMESPACE, metricName: AUTHORIZATION_DEFECT_METRIC, statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /**
   * Work that failed every retry: user events in their dead-letter queue; activity-log entries a
   * route could not write (shared/domain/audit.ts); stream records of the week-later deletion.
   */
  private addQueueAndAuditAlarms(props: ObservabilityProps): void {
    this.alarm('UserEventsDlqDepth', {
      alarmName: this.name('user-events-dlq'),
      alarmDescription: 'A UserChanged/UserDeleted event failed every retry and waits in the dead-letter queue (README, Deploy: Operating).',
      metric: queueDepth(props.userEventsDlq),
      threshold: this.env.alarms.userEventDlqMessages,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.alarm('AuditWriteFailed', {
      alarmName: this.name('audit-write-failed'),
      alarmDescription: 'A token change was stored but its activity-log entry was not written (the entry is in the function\'s ERROR log).',
      metric: tessera('AuditWriteFailed', 'Sum', 'audit writes failed'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.alarm('StreamDlqDepth', {
      alarmName: this.name('stream-dlq'),
      alarmDescription: 'Stream records of TTL deletions failed every retry: their week-later deletion entries are missing (the queue holds their shard positions).',
      metric: queueDepth(props.streamDlq),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /** Token creates, from the access log of the route that creates them. */
  private addTokenCreatedFilter(managementApi: LoggedHttpApi): void {
    const create = ROUTES.createToken;
    new MetricFilter(this, 'TokenCreatedFilter', {
      logGroup: managementApi.accessLogs,
      metricNamespace: METRICS_NAMESPACE,
      metricName: TOKEN_CREATED_METRIC,
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue('$.routeKey', '=', routeKey(create)),
        FilterPattern.numberValue('$.status', '=', create.success.status),
      ),
      metricValue: '1',
    });
  }

  /** The dashboard's rows, top to bottom; the alarms' row comes last, so every alarm is on it. */
  private addDashboardWidgets(props: ObservabilityProps): void {
    const { dashboard } = this;
    dashboard.addWidgets(revocationText(this.env));
    dashboard.addWidgets(...verificationWidgets());
    dashboard.addWidgets(...tokenWidgets());
    dashboard.addWidgets(...Object.entries(props.apis).map(([apiName, api]) => apiWidget(apiName, api)));
    dashboard.addWidgets(...functionWidgets(props));
    dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
  }
}

const verified = () => tessera('Verified', 'Sum', 'verified');
const deniedByReason = () => new MathExpression({
  expression: `SEARCH('{${METRICS_NAMESPACE},reason,service} MetricName="Denied" service="${METRICS_SERVICE}"', 'Sum', 300)`,
  label: '',
  period: FIVE_MINUTES,
});

function revocationText(env: TesseraEnvironment): TextWidget {
  return new TextWidget({
    markdown: `# Tessera ${env.name}\nAuthorizer cache ${env.authorizerCacheSeconds ? `${env.authorizerCacheSeconds} s` : 'off'} (API Gateway), ${env.containerCacheSeconds} s per container, revoked through the feed: revocation reaches every API within ${worstCaseRevocationSeconds(env)} s.`,
    width: 24,
    height: 2,
  });
}

function verificationWidgets(): GraphWidget[] {
  const latency = (stat: string) => tessera('VerifyLatency', stat, `verify ${stat}`);
  return [
    new GraphWidget({ title: 'Verifications (5 min)', left: [verified()], right: [deniedByReason()], width: 12 }),
    new GraphWidget({ title: 'Verification latency (ms)', left: [latency('p50'), latency('p90'), latency('p99')], width: 12 }),
  ];
}

function tokenWidgets(): IWidget[] {
  const tokenCreates = new Metric({ namespace: METRICS_NAMESPACE, metricName: TOKEN_CREATED_METRIC, statistic: 'Sum', period: FIVE_MINUTES, label: 'tokens created' });
  return [
    new GraphWidget({ title: 'Denials by reason', left: [deniedByReason()], stacked: true, width: 12 }),
    new GraphWidget({ title: 'Token creates', left: [tokenCreates], width: 8 }),
    new SingleValueWidget({ title: 'Last 24 h', metrics: [verified().with({ period: Duration.hours(24) }), tokenCreates.with({ period: Duration.hours(24) })], width: 4 }),
  ];
}

function apiWidget(apiName: string, api: LoggedHttpApi): GraphWidget {
  return new GraphWidget({
    title: `${apiName} API`,
    left: [api.stage.metricCount({ statistic: 'Sum', period: FIVE_MINUTES }), api.stage.metricClientError({ statistic: 'Sum', period: FIVE_MINUTES }), api.stage.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES })],
    right: [api.stage.metricLatency({ statistic: 'p99', period: FIVE_MINUTES })],
    width: 12,
  });
}

function functionWidgets(props: ObservabilityProps): GraphWidget[] {
  const perFunction = (metric: (fn: TesseraFunction) => IMetric) => [...props.functions.values()].map(metric);
  return [
    new GraphWidget({ title: 'Lambda errors', left: perFunction((fn) => fn.fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum', label: fn.node.id })), width: 8 }),
    new GraphWidget({ title: 'Lambda throttles', left: perFunction((fn) => fn.fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum', label: fn.node.id })), width: 8 }),
    new GraphWidget({ title: 'Authorizer duration (ms) / user-event DLQ', left: [props.authorizer.fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES })], right: [queueDepth(props.userEventsDlq)], width: 8 }),
  ];
}
