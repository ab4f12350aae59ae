// An HTTP API as every Tessera API is deployed: one `$default` stage with JSON access logs to a
// log group of bounded retention, default route throttling, and CORS from configuration.
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CfnStage, CorsHttpMethod, HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { MathExpression, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface LoggedHttpApiProps {
  readonly apiName: string;
  readonly description: string;
  /** Origins allowed by CORS; a token is fine (the console site's `https://<distribution domain>`). */
  readonly corsOrigins: readonly string[];
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One JSON object per request. `status` is a number so metric filters can compare it; no request
 * header is logged, so no credential can reach the logs.
 */
const FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};
/** Unquoted: numbers, or values API Gateway quotes itself. */
const RAW_FIELDS: Record<string, string> = {
  status: '$context.status',
  errorMessage: '$context.error.messageString',
};
export const ACCESS_LOG_FORMAT = `{${[
  ...Object.entries(FIELDS).map(([k, v]) => `"${k}":"${v}"`),
  ...Object.entries(RAW_FIELDS).map(([k, v]) => `"${k}":${v}`),
].join(',')}}`;

export class LoggedHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: LoggedHttpApiProps) {
    super(scope, id);
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.api = new HttpApi(this, 'Api', {
      apiName: props.apiName,
      description: props.description,
      createDefaultStage: false,
      ...(props.corsOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: [...props.corsOrigins],
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PATCH, CorsHttpMethod.DELETE],
              allowHeaders: ['authorization', 'content-type'],
              maxAge: Duration.minutes(10),
            },
          }
        : {}),
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });
  }

  /** A route's own throttle (stage route settings), for routes that must stay below the stage's. */
  throttleRoute(routeKey: string, throttle: { readonly rateLimit: number; readonly burstLimit: number }): void {
    const stage = this.stage.node.defaultChild as CfnStage;
    const current = (stage.routeSettings ?? {}) as Record<string, unknown>;
    stage.routeSettings = { ...current, [routeKey]: { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit } };
  }

  get url(): string {
    return this.stage.url;
  }

  /** Percentage of requests answered 5xx over `period`; no traffic reads as 0. */
  serverErrorRate(period = Duration.minutes(5)): IMetric {
    return new MathExpression({
      expression: '100 * FILL(errors, 0) / IF(FILL(requests, 0) > 0, requests, 1)',
      usingMetrics: {
        errors: this.stage.metricServerError({ period, statistic: 'Sum' }),
        requests: this.stage.metricCount({ period, statistic: 'Sum' }),
      },
      label: '5xx %',
      period,
    });
  }
}
