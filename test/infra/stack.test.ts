// The synthesized stack of each environment: the table from TABLE, one function per route and
// job, the APIs and their authorizers, the identity-event rule with its retries and DLQ, the
// console site where enabled, the alarms and dashboard, least-privilege IAM, and what prod
// retains. cdk-nag runs in synthEnv().
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS, grantableActions, statementsOf } from '../../infra/access.ts';
import { SITE_EXCLUDE } from '../../infra/constructs/console-site.ts';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../infra/environments.ts';
import { ssmParameterName } from '../../infra/tessera-stack.ts';
import { USER_EVENT_TYPES } from '../../shared/events/rules.ts';
import { JOBS, ROUTE_LIST, permissionMap, routeKey } from '../../shared/routes.ts';
import { TABLE } from '../../shared/store/table.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS } from '../../local/bundles.ts';
import { functionEnv, functionSizing } from '../../local/function-env.ts';
import { resourcesOf, sharedOutdir, synthEnv, type Synthesized } from './harness.ts';

/** Every IAM action any Tessera role may hold. */
const ALLOWED_ACTIONS = new Set([
  'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query',
  'kms:GenerateDataKey', 'kms:Decrypt', 'kms:Encrypt', 'kms:DescribeKey', 'kms:GenerateMac',
  'events:PutEvents',
  'sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl',
  'dynamodb:ListStreams', 'dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator',
  'logs:CreateLogStream', 'logs:PutLogEvents',
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
]);
const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
/** What the stream subscription needs of the ttl-removals role (ListStreams has no resource-level permission). */
const STREAM_READ = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/**
 * The one role outside that list: the console deployment's (ConsoleSite.deployPage), which runs
 * aws-cdk-lib's BucketDeployment handler. It reads its two source zips, mirrors them into the
 * site bucket (aws s3 sync --delete) and invalidates the distribution; no other role may.
 */
const SITE_DEPLOY_ACTIONS = new Set(['s3:GetObject', 's3:ListBucket', 's3:PutObject', 's3:DeleteObject', 'cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation', ...LOGS]);

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every policy statement anywhere in the template: IAM policies, key, queue and bus policies. */
function allStatements(s: Synthesized): { resource: string; statement: Record<string, any> }[] {
  const found: { resource: string; statement: Record<string, any> }[] = [];
  const walk = (resource: string, value: unknown): void => {
    if (Array.isArray(value)) value.forEach((v) => walk(resource, v));
    else if (value && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      if ('Effect' in o && ('Action' in o || 'NotAction' in o)) found.push({ resource, statement: o });
      else Object.values(o).forEach((v) => walk(resource, v));
    }
  };
  for (const [id, r] of Object.entries(s.json.Resources)) walk(id, r.Properties);
  return found;
}

const idOf = (s: Synthesized, construct: { node: { defaultChild?: unknown } }) => s.stack.getLogicalId(construct.node.defaultChild as never);

/** Logical ids of Tessera's own functions (not the console deployment's CDK-provided handler). */
const tesseraFunctionIds = (s: Synthesized) => new Set([...s.stack.functions.values()].map((f) => idOf(s, f.fn)));

/** The site's logical ids, or undefined where the environment deploys no console. */
function siteIds(s: Synthesized) {
  const site = s.stack.consoleSite;
  if (!site) return undefined;
  return {
    bucket: idOf(s, site.bucket),
    distribution: idOf(s, site.distribution),
    headers: idOf(s, site.headers),
    deployRole: idOf(s, site.deployRole!),
    deployPolicy: s.stack.getLogicalId(site.deployRole!.node.findChild('DefaultPolicy').node.defaultChild as never),
    deployment: resourcesOf(s, 'Custom::CDKBucketDeployment').map(([id]) => id)[0],
  };
}

function roleStatements(s: Synthesized, role: CfnRole): Record<string, any>[] {
  const roleId = s.stack.getLogicalId(role);
  return resourcesOf(s, 'AWS::IAM::Policy')
    .filter(([, p]) => asArray(p.Properties!.Roles).some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement as Record<string, any>[]);
}

/** Where the console site is on unless -c consoleSite says otherwise. */
const ENVIRONMENT_DEFAULT_SITE: Record<EnvironmentName, boolean> = { dev: true, staging: true, prod: false };

describe.each(ENVIRONMENT_NAMES)('%s stack', (name: EnvironmentName) => {
  let s: Synthesized;
  beforeAll(async () => {
    s = await synthEnv(name);
  }, 120_000);

  const managementRoutes = ROUTE_LIST.filter((r) => r.api === 'management');
  const exampleRoutes = ROUTE_LIST.filter((r) => r.api === 'example');

  describe('table', () => {
    it('is built from TABLE: keys, TTL attribute, on-demand, PITR', () => {
      s.template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
      s.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    });

    it('has exactly the GSIs of TABLE.indexes, projecting everything', () => {
      const [[, table]] = resourcesOf(s, 'AWS::DynamoDB::Table');
      expect(table.Properties!.GlobalSecondaryIndexes).toEqual(
        TABLE.indexes.map((i) => ({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      );
    });
  });

  describe('functions', () => {
    it('has one Lambda per management route, per job, and per example route in dev only (plus the console upload)', () => {
      const expected = managementRoutes.length + Object.keys(JOBS).length + (name === 'dev' ? exampleRoutes.length : 0);
      s.template.resourceCountIs('AWS::Lambda::Function', expected + (s.config.consoleSite ? 1 : 0));
      expect([...s.stack.functions.keys()].sort()).toEqual(
        [...managementRoutes.map((r) => r.id), ...Object.keys(JOBS), ...(name === 'dev' ? exampleRoutes.map((r) => r.id) : [])].sort(),
      );
    });

    it('runs every function on nodejs22.x, arm64, with X-Ray, source maps and its own log group', () => {
      const ours = tesseraFunctionIds(s);
      for (const [, fn] of resourcesOf(s, 'AWS::Lambda::Function').filter(([id]) => ours.has(id))) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
          LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
          Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'tessera', TESSERA_LOG_LEVEL: s.config.logLevel }) },
        });
      }
    });

    it('bounds every log group by the environment retention', () => {
      const groups = resourcesOf(s, 'AWS::Logs::LogGroup');
      expect(groups.length).toBeGreaterThan(0);
      for (const [, g] of groups) expect(g.Properties!.RetentionInDays).toBe(s.config.logRetention);
    });

    it('gives the user-event handler 5 minutes and the authorizer 10 seconds', () => {
      const props = (id: 'userEvents' | 'authorizer') => s.json.Resources[s.stack.getLogicalId(s.stack.functions.get(id)!.fn.node.defaultChild as never)].Properties!;
      expect(props('userEvents').Timeout).toBe(300);
      expect(props('authorizer').Timeout).toBe(10);
    });

    it('names the value key as kms:<arn> and the table in every function', () => {
      const ours = tesseraFunctionIds(s);
      for (const [, fn] of resourcesOf(s, 'AWS::Lambda::Function').filter(([id]) => ours.has(id))) {
        const vars = fn.Properties!.Environment.Variables;
        expect(vars.TESSERA_KEY_SOURCE).toEqual({ 'Fn::Join': ['', ['kms:', { 'Fn::GetAtt': [expect.stringMatching(/^ValueKey/), 'Arn'] }]] });
        expect(vars.TESSERA_TABLE).toEqual({ Ref: expect.stringMatching(/^StoreTable/) });
        expect(vars.TESSERA_JWT_ISSUER).toBe(s.config.jwtIssuer);
      }
    });

    it('sets the bus only on functions that publish', () => {
      for (const [id, fn] of s.stack.functions) {
        const vars = s.json.Resources[s.stack.getLogicalId(fn.fn.node.defaultChild as never)].Properties!.Environment.Variables;
        expect('TESSERA_EVENT_BUS' in vars, id).toBe(ACCESS[id].publish);
      }
    });

    it('publishes a live alias per function and triggers only through it', () => {
      s.template.resourceCountIs('AWS::Lambda::Alias', s.stack.functions.size);
      s.template.allResourcesProperties('AWS::Lambda::Alias', { Name: 'live' });
      s.template.allResources('AWS::Lambda::Version', { DeletionPolicy: 'Retain' });
    });
  });

  describe('least privilege', () => {
    it('holds every IAM action to the allow-list, with no wildcard action', () => {
      const deployPolicy = siteIds(s)?.deployPolicy;
      const policies = resourcesOf(s, 'AWS::IAM::Policy');
      expect(policies.length).toBeGreaterThan(0);
      for (const [id, p] of policies) {
        // Tessera's roles hold ALLOWED_ACTIONS; only the console deployment role holds S3 and CloudFront actions.
        const allowed = id === deployPolicy ? SITE_DEPLOY_ACTIONS : ALLOWED_ACTIONS;
        for (const action of (p.Properties!.PolicyDocument.Statement as any[]).flatMap((st) => asArray<string>(st.Action))) {
          expect(action, id).not.toContain('*');
          expect(allowed, `${id}: ${action}`).toContain(action);
        }
      }
      s.template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
      for (const [, role] of resourcesOf(s, 'AWS::IAM::Role')) expect(role.Properties!.ManagedPolicyArns).toBeUndefined();
    });

    it('allows no wildcard action in any policy of the template (IAM, key, queue, bus)', () => {
      const statements = allStatements(s);
      expect(statements.length).toBeGreaterThan(0);
      for (const { resource, statement } of statements) {
        expect(statement.NotAction, resource).toBeUndefined();
        if (statement.Effect === 'Deny') {
          // The only deny is enforceSSL's: every SQS action over plain HTTP.
          expect(statement.Condition, resource).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
          continue;
        }
        for (const action of asArray<string>(statement.Action)) expect(action, resource).not.toContain('*');
      }
    });

    it('uses the "*" resource only for X-Ray and ListStreams, which have no resource-level permissions', () => {
      for (const [, p] of resourcesOf(s, 'AWS::IAM::Policy')) {
        for (const st of p.Properties!.PolicyDocument.Statement as any[]) {
          if (!asArray(st.Resource).includes('*')) continue;
          for (const action of asArray<string>(st.Action)) expect([...XRAY, 'dynamodb:ListStreams']).toContain(action);
        }
      }
    });

    it('writes each function the policy statements of its grant, conditions included (statementsOf)', () => {
      const arns = { table: s.stack.store.table.tableArn, valueKey: '', bus: s.stack.bus.eventBusArn, macKeys: ['MAC'] };
      for (const [id, fn] of s.stack.functions) {
        const statements = roleStatements(s, fn.role.node.defaultChild as CfnRole);
        const keyArn = statements.find((st) => st.Sid === 'ValueKey')?.Resource;
        const macArns = statements.find((st) => st.Sid === 'MacKeys')?.Resource;
        const expected = s.stack.resolve(statementsOf(ACCESS[id], { ...arns, valueKey: 'KEY' }).map((st) => ({
          Sid: st.sid, Effect: 'Allow', Action: st.actions.length === 1 ? st.actions[0] : [...st.actions].sort(),
          Resource: st.sid === 'MacKeys' ? macArns : st.resources.length === 1 ? (st.sid === 'ValueKey' ? keyArn : st.resources[0]) : [...st.resources].sort(byJson),
          ...(st.conditions ? { Condition: st.conditions } : {}),
        })));
        // CDK writes a statement's resources in its own order.
        const ours = statements.filter((st) => ['TableItems', 'QueryIndexes', 'ValueKey', 'PublishDomainEvents', 'MacKeys'].includes(st.Sid))
          .map((st) => (Array.isArray(st.Resource) ? { ...st, Resource: [...st.Resource].sort(byJson) } : st));
        expect(ours, id).toEqual(expected);
        if (ACCESS[id].valueKey.length > 0) expect(keyArn, id).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ValueKey/), 'Arn'] });
      }
    });

    it('grants each function exactly its access entry, on the table, index, key and bus ARNs', () => {
      for (const [id, fn] of s.stack.functions) {
        const statements = roleStatements(s, fn.role.node.defaultChild as CfnRole);
        const actions = [...new Set(statements.flatMap((st) => asArray<string>(st.Action)))].sort();
        const touchesTable = ACCESS[id].table.length + ACCESS[id].query.length > 0;
        const writesTable = ACCESS[id].table.some((a) => ['PutItem', 'UpdateItem', 'DeleteItem'].includes(a));
        const tableKey = s.config.tableCustomerManagedKey && touchesTable ? (writesTable ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']) : [];
        // The stream subscription reads the stream and sends failed batches' positions to its queue.
        // (With a customer-managed table key, reading the stream also decrypts with it.)
        const stream = id === 'ttlRemovals'
          ? [...STREAM_READ, 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage', ...(s.config.tableCustomerManagedKey ? ['kms:Decrypt', 'kms:DescribeKey'] : [])]
          : [];
        const expected = [...new Set([...grantableActions(ACCESS[id]), ...LOGS, ...XRAY, ...tableKey, ...stream, ...(id === 'userEvents' ? ['sqs:SendMessage'] : [])])];
        expect(actions, id).toEqual(expected.sort());

        const byIndex = statements.find((st) => st.Sid === 'QueryIndexes');
        if (ACCESS[id].query.length === 0) expect(byIndex, id).toBeUndefined();
        else {
          const arns = asArray<any>(byIndex!.Resource).map((r) => r['Fn::Join'][1][1]);
          expect(arns.sort(), id).toEqual(ACCESS[id].query.map((i) => `/index/${i}`).sort());
        }
        const tableStatement = statements.find((st) => st.Sid === 'TableItems');
        if (tableStatement) expect(tableStatement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StoreTable/), 'Arn'] });
      }
    });
  });

  describe('management API', () => {
    it('routes every management route, JWT-protected unless public by design', () => {
      const apiId = s.stack.getLogicalId(s.stack.managementApi.api.node.defaultChild as never);
      const routes = resourcesOf(s, 'AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties!.ApiId.Ref === apiId);
      expect(routes.map(([, r]) => r.Properties!.RouteKey).sort()).toEqual(managementRoutes.map(routeKey).sort());
      for (const route of managementRoutes) {
        const [, r] = routes.find(([, x]) => x.Properties!.RouteKey === routeKey(route))!;
        expect(r.Properties!.AuthorizationType, route.id).toBe(route.auth === 'jwt' ? 'JWT' : 'NONE');
      }
    });

    it('verifies JWTs from the configured issuer and audience', () => {
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: s.config.jwtIssuer, Audience: [s.config.jwtAudience] },
      });
    });

    it('logs access as JSON to a log group, throttles the stage and allows the configured origins', () => {
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
        DefaultRouteSettings: { ThrottlingRateLimit: s.config.throttle.rateLimit, ThrottlingBurstLimit: s.config.throttle.burstLimit },
      });
      const site = siteIds(s);
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        Name: `tessera-${name}`,
        CorsConfiguration: {
          AllowOrigins: [
            ...s.config.corsOrigins,
            // The console site's own origin, where the environment deploys one.
            ...(site ? [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [site.distribution, 'DomainName'] }]] }] : []),
          ],
        },
      });
    });
  });

  describe('identity events', () => {
    const ruleOf = () => resourcesOf(s, 'AWS::Events::Rule').find(([, r]) => r.Properties!.EventPattern)!;

    it('matches the configured source and the user event types on the service bus', () => {
      const [, rule] = ruleOf();
      expect(rule.Properties!.EventPattern).toEqual({ source: [s.config.identitySource], 'detail-type': [...USER_EVENT_TYPES] });
      expect(rule.Properties!.EventBusName).toEqual({ Ref: expect.stringMatching(/^Bus/) });
      s.template.hasResourceProperties('AWS::Events::EventBus', { Name: `tessera-${name}` });
    });

    it('targets the user-event handler with retries and a dead-letter queue', () => {
      const [, rule] = ruleOf();
      const dlqId = s.stack.getLogicalId(s.stack.userEventsDlq.node.defaultChild as never);
      const aliasId = s.stack.getLogicalId(s.stack.functions.get('userEvents')!.live.node.defaultChild as never);
      expect(rule.Properties!.Targets).toEqual([
        expect.objectContaining({
          Arn: { Ref: aliasId },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        }),
      ]);
      const fnId = s.stack.getLogicalId(s.stack.functions.get('userEvents')!.fn.node.defaultChild as never);
      expect(s.json.Resources[fnId].Properties!.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] } });
      s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600 });
    });

    it('keeps the dead-letter queue encrypted and TLS-only', () => {
      s.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400 });
      s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    });

    it('throttles the unauthenticated leak route below the stage, and points it at the configured key document', () => {
      const stageId = s.stack.getLogicalId(s.stack.managementApi.stage.node.defaultChild as never);
      expect(s.json.Resources[stageId].Properties!.RouteSettings).toEqual({
        'POST /v1/leaks': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      });
      expect(10).toBeLessThan(s.config.throttle.rateLimit);
      const fnId = s.stack.getLogicalId(s.stack.functions.get('reportLeaks')!.fn.node.defaultChild as never);
      expect(s.json.Resources[fnId].Properties!.Environment.Variables.TESSERA_LEAK_KEYS).toBe('https://api.github.com/meta/public_keys/secret_scanning');
      const others = [...s.stack.functions].filter(([id]) => id !== 'reportLeaks')
        .filter(([, f]) => s.json.Resources[s.stack.getLogicalId(f.fn.node.defaultChild as never)].Properties!.Environment?.Variables?.TESSERA_LEAK_KEYS);
      expect(others).toEqual([]);
    });

    it('streams old images from the table to ttl-removals, filtered to TTL removals of tokens, with a failure queue', () => {
      s.template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'OLD_IMAGE' } });
      const tableId = s.stack.getLogicalId(s.stack.store.table.node.defaultChild as never);
      const aliasId = s.stack.getLogicalId(s.stack.functions.get('ttlRemovals')!.live.node.defaultChild as never);
      const dlqId = s.stack.getLogicalId(s.stack.streamDlq.node.defaultChild as never);
      const mappings = resourcesOf(s, 'AWS::Lambda::EventSourceMapping');
      expect(mappings).toHaveLength(1);
      expect(mappings[0][1].Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
      });
      expect(JSON.stringify(mappings[0][1].Properties!.FunctionName)).toContain(`"Ref":"${aliasId}"`);
      const [filter] = mappings[0][1].Properties!.FilterCriteria.Filters;
      expect(JSON.parse(filter.Pattern)).toEqual({
        eventName: ['REMOVE'],
        userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
        dynamodb: { OldImage: { type: { S: ['token'] } } },
      });
      // the stream itself, and nothing else of it, is readable by that role alone
      const readers = [...s.stack.functions].filter(([, fn]) =>
        roleStatements(s, fn.role.node.defaultChild as CfnRole).some((st) => asArray<string>(st.Action).includes('dynamodb:GetRecords')));
      expect(readers.map(([id]) => id)).toEqual(['ttlRemovals']);
      const read = roleStatements(s, s.stack.functions.get('ttlRemovals')!.role.node.defaultChild as CfnRole).find((st) => asArray<string>(st.Action).includes('dynamodb:GetRecords'))!;
      expect(read.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'StreamArn'] });
    });

    it('runs expiry notices hourly', () => {
      const aliasId = s.stack.getLogicalId(s.stack.functions.get('expiryNotices')!.live.node.defaultChild as never);
      s.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)', Targets: [Match.objectLike({ Arn: { Ref: aliasId } })] });
    });
  });

  describe('authorizer for other APIs', () => {
    it('enforces the example permission map and the configured container cache', () => {
      const id = s.stack.getLogicalId(s.stack.functions.get('authorizer')!.fn.node.defaultChild as never);
      const vars = s.json.Resources[id].Properties!.Environment.Variables;
      expect(JSON.parse(vars.TESSERA_ROUTE_PERMISSIONS)).toEqual(permissionMap('example'));
      expect(vars.TESSERA_AUTH_CACHE_SECONDS).toBe(String(s.config.containerCacheSeconds));
    });

    it('exports its ARN as an output and as /tessera/<env>/authorizer-arn', () => {
      const aliasId = s.stack.getLogicalId(s.stack.functions.get('authorizer')!.live.node.defaultChild as never);
      s.template.hasOutput('AuthorizerArn', { Value: { Ref: aliasId } });
      s.template.hasResourceProperties('AWS::SSM::Parameter', { Name: ssmParameterName(name, 'authorizer-arn'), Value: { Ref: aliasId } });
    });

    it('exports the bus name and the API URL', () => {
      s.template.hasOutput('EventBusName', { Value: { Ref: Match.stringLikeRegexp('^Bus') } });
      s.template.hasResourceProperties('AWS::SSM::Parameter', { Name: ssmParameterName(name, 'event-bus-name') });
      s.template.hasOutput('ApiUrl', {});
      s.template.hasOutput('LegacyImportFunctionName', {});
    });

    it(name === 'dev' ? 'puts the example API behind it, accepting every credential header, so uncached' : 'deploys no example API', () => {
      const lambdaAuthorizers = resourcesOf(s, 'AWS::ApiGatewayV2::Authorizer').filter(([, a]) => a.Properties!.AuthorizerType === 'REQUEST');
      if (name !== 'dev') {
        expect(lambdaAuthorizers).toHaveLength(0);
        s.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
        expect(s.json.Outputs).not.toHaveProperty('ExampleApiUrl');
        return;
      }
      expect(lambdaAuthorizers).toHaveLength(1);
      expect(lambdaAuthorizers[0][1].Properties).toMatchObject({
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: [],
        AuthorizerResultTtlInSeconds: 0,
      });
      const exampleStage = s.stack.getLogicalId(s.stack.exampleApi!.stage.node.defaultChild as never);
      expect(s.json.Resources[exampleStage].Properties!.StageVariables).toMatchObject({ tesseraCredentials: 'any' });
      const routes = resourcesOf(s, 'AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties!.AuthorizationType === 'CUSTOM');
      expect(routes.map(([, r]) => r.Properties!.RouteKey).sort()).toEqual(exampleRoutes.map(routeKey).sort());
      s.template.hasOutput('ExampleApiUrl', {});
    });
  });

  describe('console site', () => {
    if (!ENVIRONMENT_DEFAULT_SITE[name]) {
      it('deploys no bucket, distribution, upload or console URL by default', () => {
        expect(s.stack.consoleSite).toBeUndefined();
        for (const type of ['AWS::S3::Bucket', 'AWS::CloudFront::Distribution', 'AWS::CloudFront::ResponseHeadersPolicy', 'Custom::CDKBucketDeployment', 'AWS::Lambda::LayerVersion']) {
          s.template.resourceCountIs(type, 0);
        }
        expect(s.json.Outputs).not.toHaveProperty('ConsoleUrl');
      });
      return;
    }

    const site = () => siteIds(s)!;
    const resource = (id: string) => s.json.Resources[id];
    /** A template value with Refs and GetAtts written as <Id> / <Id.Attr>, for string comparisons. */
    const flat = (v: any): string =>
      typeof v === 'string' ? v
        : v['Fn::Join'] ? (v['Fn::Join'][1] as any[]).map(flat).join(v['Fn::Join'][0])
          : v.Ref ? `<${v.Ref}>`
            : v['Fn::GetAtt'] ? `<${v['Fn::GetAtt'].join('.')}>`
              : v['Fn::Sub'] ? v['Fn::Sub']
                : JSON.stringify(v);

    it('keeps the bucket private, S3-encrypted, unversioned and TLS-only, removed as the environment says', () => {
      const bucket = resource(site().bucket);
      expect(bucket.Properties).toMatchObject({
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      expect(bucket.Properties).not.toHaveProperty('VersioningConfiguration');
      expect(bucket.Properties).not.toHaveProperty('WebsiteConfiguration');
      expect(bucket.DeletionPolicy).toBe(s.config.removalPolicy === 'retain' ? 'Retain' : 'Delete');
      // No autoDeleteObjects: its custom resource would bring a second Lambda and a wildcard bucket policy.
      s.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    });

    it('lets only this distribution read the bucket, through origin access control', () => {
      const [[, policy]] = resourcesOf(s, 'AWS::S3::BucketPolicy').filter(([, p]) => p.Properties!.Bucket.Ref === site().bucket);
      const allows = (policy.Properties!.PolicyDocument.Statement as any[]).filter((st) => st.Effect === 'Allow');
      expect(allows).toEqual([{
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [site().bucket, 'Arn'] }, '/*']] },
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      }]);
      expect(flat(allows[0].Condition.StringEquals['AWS:SourceArn'])).toBe(`arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<${site().distribution}>`);
      const origins = resource(site().distribution).Properties!.DistributionConfig.Origins as any[];
      expect(origins).toEqual([expect.objectContaining({
        DomainName: { 'Fn::GetAtt': [site().bucket, 'RegionalDomainName'] },
        OriginAccessControlId: { 'Fn::GetAtt': [expect.stringMatching(/OriginAccessControl/), 'Id'] },
        S3OriginConfig: { OriginAccessIdentity: '' },
      })]);
      s.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
        OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
      });
    });

    it('serves index.html over HTTPS only, GET and HEAD, with the security headers policy', () => {
      expect(resource(site().distribution).Properties!.DistributionConfig).toMatchObject({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: {
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
          Compress: true,
          ResponseHeadersPolicyId: { Ref: site().headers },
        },
      });
    });

    it('sends a CSP limited to the page and API Gateway, HSTS, nosniff, no referrer and no framing', () => {
      const config = resource(site().headers).Properties!.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
      expect(flat(config.ContentSecurityPolicy.ContentSecurityPolicy)).toBe(
        "default-src 'self'; connect-src 'self' https://*.execute-api.<AWS::Region>.<AWS::URLSuffix>; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(config).toMatchObject({
        ContentSecurityPolicy: { Override: true },
        StrictTransportSecurity: { AccessControlMaxAgeSec: 730 * 86400, IncludeSubdomains: true, Override: true },
        ContentTypeOptions: { Override: true },
        ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
      });
    });

    it('uploads the built page and a config.json naming this environment\'s API, then invalidates', () => {
      const deployment = resource(site().deployment).Properties!;
      const apiId = idOf(s, s.stack.managementApi.api);
      expect(deployment).toMatchObject({
        DestinationBucketName: { Ref: site().bucket },
        DistributionId: { Ref: site().distribution },
        DistributionPaths: ['/*'],
        SystemMetadata: { 'cache-control': 'no-cache' },
        Prune: true,
      });
      expect(deployment).not.toHaveProperty('RetainOnDelete');
      // Source 1: web/dist as built by buildWeb(), without the staleness check's .inputs.json.
      const [pageKey, configKey] = deployment.SourceObjectKeys as string[];
      const staged = (key: string) => join(sharedOutdir(), `asset.${key.replace(/\.zip$/, '')}`);
      expect(readdirSync(staged(pageKey)).sort()).toEqual(['app.js', 'index.html', 'styles.css']);
      expect(SITE_EXCLUDE).toContain('.inputs.json');
      // Source 2: config.json, whose apiBase CloudFormation fills in with the API's endpoint.
      const config = JSON.parse(readFileSync(join(staged(configKey), 'config.json'), 'utf8'));
      expect(config).toEqual({ apiBase: expect.stringMatching(/^<<marker:/), localSignIn: false, environment: name });
      expect(deployment.SourceMarkers[1]).toEqual({ [config.apiBase]: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } });
    });

    it('allows the distribution in the API\'s CORS with no dependency cycle', () => {
      const apiId = idOf(s, s.stack.managementApi.api);
      const api = JSON.stringify(resource(apiId));
      expect(api).toContain(`"Fn::GetAtt":["${site().distribution}","DomainName"]`);
      // The API names the distribution; so neither the distribution nor its headers may name the
      // API, and the API names nothing of the upload (which names the API).
      expect(JSON.stringify(resource(site().distribution))).not.toContain(apiId);
      expect(JSON.stringify(resource(site().headers))).not.toContain(apiId);
      for (const id of [site().deployment, site().deployRole, site().deployPolicy]) expect(api).not.toContain(id);
    });

    it('runs the upload with its own role: exactly the two source zips, the site bucket, the distribution and its log group', () => {
      // The role is the CDK handler's role and no other function's.
      const [[handlerId, handler]] = resourcesOf(s, 'AWS::Lambda::Function').filter(([, f]) => f.Properties!.Role['Fn::GetAtt']?.[0] === site().deployRole);
      expect(resource(site().deployment).Properties!.ServiceToken).toEqual({ 'Fn::GetAtt': [handlerId, 'Arn'] });
      expect(handler.Properties!.LoggingConfig).toEqual({ LogGroup: { Ref: expect.stringMatching(/^ConsoleDeployLogs/) } });
      expect(resource(site().deployRole).Properties!.ManagedPolicyArns).toBeUndefined();

      const statements = roleStatements(s, s.stack.consoleSite!.deployRole!.node.defaultChild as CfnRole);
      const sources = (resource(site().deployment).Properties!.SourceObjectKeys as string[]).map((k) => `arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-\${AWS::AccountId}-\${AWS::Region}/${k}`);
      const summary = statements.map((st) => ({ actions: asArray<string>(st.Action).sort(), resources: asArray(st.Resource).map(flat).sort() }));
      expect(summary).toEqual([
        { actions: LOGS, resources: [`<${handler.Properties!.LoggingConfig.LogGroup.Ref}.Arn>`] },
        { actions: ['s3:GetObject'], resources: sources.sort() },
        { actions: ['s3:ListBucket'], resources: [`<${site().bucket}.Arn>`] },
        { actions: ['s3:DeleteObject', 's3:PutObject'], resources: [`<${site().bucket}.Arn>/*`] },
        { actions: ['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation'], resources: [`arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<${site().distribution}>`] },
      ]);
      // The policy is attached before CloudFormation asks the handler to upload.
      expect(s.json.Resources[site().deployment]).toMatchObject({ DependsOn: expect.arrayContaining([site().deployPolicy]) });
    });

    it('outputs the console URL and bucket', () => {
      s.template.hasOutput('ConsoleUrl', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [site().distribution, 'DomainName'] }, '/']] } });
      s.template.hasOutput('ConsoleBucketName', { Value: { Ref: site().bucket } });
    });
  });

  describe('observability', () => {
    const alarmNames = () => resourcesOf(s, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!.AlarmName as string);

    it('alarms on 5xx rate per API, authorizer errors, DLQ depth, throttles and errors per function', () => {
      const names = alarmNames();
      const prefix = `tessera-${name}-`;
      expect(names).toContain(`${prefix}management-5xx-rate`);
      if (name === 'dev') expect(names).toContain(`${prefix}example-5xx-rate`);
      expect(names).toContain(`${prefix}authorizer-errors`);
      expect(names).toContain(`${prefix}user-events-dlq`);
      expect(names).toContain(`${prefix}stream-dlq`);
      expect(names).toContain(`${prefix}audit-write-failed`);
      expect(names.filter((n) => n.startsWith(`${prefix}throttles-`)).length).toBeGreaterThan(0);
      for (const id of s.stack.functions.keys()) if (id !== 'authorizer') expect(names).toContain(`${prefix}${id}-errors`);
    });

    it('alarms as soon as one message waits in the DLQ', () => {
      const dlq = resourcesOf(s, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties!.AlarmName === `tessera-${name}-user-events-dlq`)![1];
      expect(dlq.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    });

    it('covers every throttled function within the 10-metric limit of an alarm', () => {
      const throttleAlarms = resourcesOf(s, 'AWS::CloudWatch::Alarm').filter(([, a]) => String(a.Properties!.AlarmName).includes('-throttles-'));
      const counted = throttleAlarms.flatMap(([, a]) => (a.Properties!.Metrics as any[]).filter((m) => m.MetricStat));
      for (const [, a] of throttleAlarms) expect((a.Properties!.Metrics as any[]).filter((m) => m.MetricStat).length).toBeLessThanOrEqual(10);
      expect(counted).toHaveLength(s.stack.functions.size);
    });

    it('has a dashboard with verifications, latency, denials by reason and token creates', () => {
      const [[, dashboard]] = resourcesOf(s, 'AWS::CloudWatch::Dashboard');
      const body = JSON.stringify(dashboard.Properties!.DashboardBody);
      for (const metric of ['Verified', 'VerifyLatency', 'MetricName=\\\\\\"Denied\\\\\\"', 'TokenCreated']) expect(body).toContain(metric);
    });

    it('counts authorization refusals in every function\'s log group and alarms on the first', () => {
      const filters = resourcesOf(s, 'AWS::Logs::MetricFilter').filter(([, f]) => f.Properties!.MetricTransformations[0].MetricName === 'AuthorizationDefects');
      const groups = filters.map(([, f]) => f.Properties!.LogGroupName.Ref).sort();
      const expected = [...s.stack.functions.values()].map((fn) => s.stack.getLogicalId(fn.logGroup.node.defaultChild as never)).sort();
      expect(groups).toEqual(expected);
      for (const [, f] of filters) expect(f.Properties!.FilterPattern).toBe('{ $.defect = "authorization" }');
      const alarm = resourcesOf(s, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties!.AlarmName === `tessera-${name}-authorization-defects`)![1];
      expect(alarm.Properties).toMatchObject({ Namespace: 'Tessera', MetricName: 'AuthorizationDefects', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Sum' });
    });

    it('counts token creates from the create route in the access log', () => {
      s.template.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: '{ ($.routeKey = "POST /v1/tokens") && ($.status = 201) }',
        MetricTransformations: [Match.objectLike({ MetricNamespace: 'Tessera', MetricName: 'TokenCreated', MetricValue: '1' })],
      });
    });
  });

  describe('keys and removal', () => {
    it('rotates every encryption key, and keeps HMAC keys as generations (KMS does not rotate those)', () => {
      const keys = resourcesOf(s, 'AWS::KMS::Key');
      const hmac = keys.filter(([, key]) => key.Properties!.KeySpec === 'HMAC_256');
      expect(keys.length - hmac.length).toBe(name === 'prod' ? 2 : 1);
      for (const [, key] of keys.filter((k) => !hmac.includes(k))) expect(key.Properties!.EnableKeyRotation).toBe(true);
      expect(hmac.map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(['MacKey1']);
      for (const [, key] of hmac) expect(key.Properties!.KeyUsage).toBe('GENERATE_VERIFY_MAC');
    });

    it('names the MAC keys, newest first, in every function, and grants GenerateMac only where a MAC is made', () => {
      for (const [id, fn] of s.stack.functions) {
        const vars = s.json.Resources[s.stack.getLogicalId(fn.fn.node.defaultChild as never)].Properties!.Environment.Variables;
        expect(vars.TESSERA_MAC_KEYS).toEqual({ 'Fn::Join': ['', ['kms:', { 'Fn::GetAtt': [expect.stringMatching(/^MacKey1/), 'Arn'] }]] });
        expect(grantableActions(ACCESS[id]).includes('kms:GenerateMac'), id).toBe(['createToken', 'renewToken', 'listTokens', 'listAudit', 'authorizer'].includes(id));
      }
    });

    if (name === 'prod') {
      it('retains the table with deletion protection and a customer-managed key', () => {
        s.template.hasResource('AWS::DynamoDB::Table', {
          DeletionPolicy: 'Retain',
          UpdateReplacePolicy: 'Retain',
          Properties: Match.objectLike({
            DeletionProtectionEnabled: true,
            SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] } },
          }),
        });
      });

      it('retains the KMS keys and the log groups', () => {
        s.template.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
        s.template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
      });
    } else {
      it('deletes the table, keys and logs with the stack', () => {
        s.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
        s.template.allResources('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
      });
    }
  });

  describe('cdk-nag', () => {
    it('finds no unacknowledged AwsSolutions error or warning', () => {
      const report = new AwsSolutionsChecks().validateScope(s.stack);
      const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
      expect(findings).toEqual([]);
    });

    if (ENVIRONMENT_DEFAULT_SITE[name]) {
      it('acknowledges on the console site exactly the findings its reasons explain', () => {
        const site = s.stack.consoleSite!;
        const handler = s.stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'))!;
        const ids = [site, handler].flatMap((root) => root.node.findAll()).flatMap((c) =>
          c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').flatMap((m) => Object.keys(m.data as object).map((k) => k.replace(/^Annotation::/, ''))));
        expect(ids.sort()).toEqual([
          'AwsSolutions-CFR1', 'AwsSolutions-CFR2', 'AwsSolutions-CFR3', 'AwsSolutions-CFR4',
          `AwsSolutions-IAM5[Resource::<${siteIds(s)!.bucket}.Arn>/*]`, 'AwsSolutions-L1', 'AwsSolutions-S1',
        ]);
      });
    }

    it('acknowledges findings only with a specific reason', () => {
      const acknowledged = s.stack.node.findAll().flatMap((c) =>
        c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').flatMap((m) => Object.entries(m.data as Record<string, string>)));
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const [id, reason] of acknowledged) {
        expect(id).toMatch(/AwsSolutions-/);
        expect(reason.length, id).toBeGreaterThanOrEqual(40);
      }
    });
  });
});

describe('optional settings', () => {
  let s: Synthesized;
  beforeAll(async () => {
    s = await synthEnv('staging', {
      context: {
        identityPublisherAccounts: '111122223333', alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops', account: '123456789012', region: 'eu-west-1',
        consoleSite: 'false',
      },
    });
  }, 120_000);

  it('lets the identity accounts publish to the bus with the identity source only', () => {
    s.template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: Match.objectLike({
        Action: 'events:PutEvents',
        Principal: { AWS: Match.stringLikeRegexp('111122223333') },
        Condition: { StringEquals: { 'events:source': 'tessera.identity' } },
      }),
    });
  });

  it('sends alarm and recovery notifications to the configured topic', () => {
    for (const [, alarm] of resourcesOf(s, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties!.AlarmActions).toEqual(['arn:aws:sns:us-east-1:123456789012:ops']);
      expect(alarm.Properties!.OKActions).toEqual(['arn:aws:sns:us-east-1:123456789012:ops']);
    }
  });

  it('leaves the console site out when consoleSite=false, and CORS to the configured origins', () => {
    expect(s.stack.consoleSite).toBeUndefined();
    s.template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    s.template.resourceCountIs('Custom::CDKBucketDeployment', 0);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: { AllowOrigins: [...s.config.corsOrigins] } });
  });

  it('pins the stack to the given account and region', () => {
    expect(s.stack.account).toBe('123456789012');
    expect(s.stack.region).toBe('eu-west-1');
  });

  it('still passes cdk-nag', () => {
    expect(new AwsSolutionsChecks().validateScope(s.stack).violations).toEqual([]);
  });
});

// The local runtime gives each function the environment variables the deployed function gets
// (local/function-env.ts), so a handler reads the same configuration in both places; only the
// local endpoints and Lambda's own variables differ. Its memory and timeout are the deployed ones.
/** Set by Lambda, or for the local endpoints: not in the template. */
const LAMBDA_OR_LOCAL = /^(AWS_|TESSERA_LOCAL_)/;
/** Set by CDK for the runtime, not read by the handlers: NODE_OPTIONS (source maps of the minified bundle). */
const CDK_RUNTIME_ONLY = new Set(['NODE_OPTIONS']);

describe('local function environments, against the dev stack', () => {
  let s: Synthesized;
  beforeAll(async () => {
    s = await synthEnv('dev');
  });

  it('has every deployed function, and only those, among the local functions', () => {
    expect(FUNCTIONS.map((f) => f.id).sort()).toEqual([...s.stack.functions.keys()].sort());
  });

  it.each(FUNCTIONS.map((f) => f.id))('gives %s the variables CDK gives it', (id) => {
    const fn = s.stack.functions.get(id as never)!;
    const deployed = Object.keys(s.json.Resources[s.stack.getLogicalId(fn.fn.node.defaultChild as never)].Properties!.Environment.Variables)
      .filter((k) => !CDK_RUNTIME_ONLY.has(k))
      .sort();
    const local = Object.keys(
      functionEnv(id, {
        region: 'us-east-1', tableName: 't', keySource: 'file:/k', macKeys: 'file:/k', jwtIssuer: 'i', jwtAudience: 'a', identitySource: 'tessera.identity',
        logLevel: 'INFO', routePermissions: '{}', storeEndpoint: 'http://127.0.0.1:1', busEndpoint: 'http://127.0.0.1:2', kmsEndpoint: 'http://127.0.0.1:3', busName: 'b',
      }),
    )
      .filter((k) => !LAMBDA_OR_LOCAL.test(k))
      .sort();
    expect(local).toEqual(deployed);
  });

  it.each(FUNCTIONS.map((f) => f.id))('runs %s with the memory and timeout CDK gives it', (id) => {
    const fn = s.stack.functions.get(id as never)!;
    const props = s.json.Resources[s.stack.getLogicalId(fn.fn.node.defaultChild as never)].Properties!;
    expect({ memorySize: props.MemorySize, timeoutSeconds: props.Timeout }).toEqual(functionSizing(id));
  });
});
