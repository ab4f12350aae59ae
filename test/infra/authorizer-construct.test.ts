// The reusable TesseraAuthorizer construct, as another team's stack would use it.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { TesseraAuthorizer } from '../../infra/constructs/tessera-authorizer.ts';
import { decodeStageMap, encodeStageMap, STAGE_PERMISSIONS_VARIABLE } from '../../shared/route-permissions.ts';
import { STAGE_CREDENTIALS_VARIABLE } from '../../shared/authorizer-settings.ts';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:tessera-authorizer:live';

function fixture() {
  const app = new App();
  const stack = new Stack(app, 'Consumer');
  const backend = new LambdaFunction(stack, 'Backend', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>({})') });
  return { app, stack, backend };
}

describe('TesseraAuthorizer', () => {
  it('attaches to an HttpApi with simple responses, cached per credential and route', () => {
    const { stack, backend } = fixture();
    const api = new HttpApi(stack, 'Api');
    const auth = new TesseraAuthorizer(stack, 'Auth', { functionArn: ARN, cacheTtl: Duration.seconds(30) });
    api.addRoutes({ path: '/items', methods: [HttpMethod.GET], integration: new HttpLambdaIntegration('I', backend), authorizer: auth.forHttpApi(api) });
    api.addRoutes({ path: '/items', methods: [HttpMethod.POST], integration: new HttpLambdaIntegration('J', backend), authorizer: auth.forHttpApi(api) });

    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization', '$context.routeKey', '$context.identity.sourceIp'],
      AuthorizerResultTtlInSeconds: 30,
    });
    expect(JSON.stringify(t.findResources('AWS::ApiGatewayV2::Authorizer'))).toContain(`${ARN}/invocations`);
    t.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { AuthorizationType: 'CUSTOM' }, 2);
    // API Gateway may invoke the imported function, from this API's authorizer only.
    t.hasResourceProperties('AWS::Lambda::Permission', { FunctionName: ARN, Principal: 'apigateway.amazonaws.com', SourceArn: Match.anyValue() });
  });

  it('uses one authorizer per HttpApi', () => {
    const { stack } = fixture();
    const auth = new TesseraAuthorizer(stack, 'Auth', { functionArn: ARN });
    const a = new HttpApi(stack, 'A');
    const b = new HttpApi(stack, 'B');
    expect(auth.forHttpApi(a)).toBe(auth.forHttpApi(a));
    expect(auth.forHttpApi(a)).not.toBe(auth.forHttpApi(b));
  });

  it("turns API Gateway's cache off by default: the function's own cache is revoked within 2 s", () => {
    const { stack, backend } = fixture();
    const api = new HttpApi(stack, 'Api');
    const auth = new TesseraAuthorizer(stack, 'Auth', { functionArn: ARN });
    api.addRoutes({ path: '/items', methods: [HttpMethod.GET], integration: new HttpLambdaIntegration('I', backend), authorizer: auth.forHttpApi(api) });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
  });

  it('accepts every credential header when asked, with API Gateway caching off', () => {
    const { stack, backend } = fixture();
    const api = new HttpApi(stack, 'Api');
    const auth = new TesseraAuthorizer(stack, 'Auth', { functionArn: ARN, credentials: 'any' });
    api.addRoutes({ path: '/items', methods: [HttpMethod.GET], integration: new HttpLambdaIntegration('I', backend), authorizer: auth.forHttpApi(api) });
    const rest = new RestApi(stack, 'Rest2');
    expect(() => auth.forRestApi(rest, 'token')).toThrow(/use kind 'request'/);
    rest.root.addMethod('GET', new MockIntegration(), { authorizer: auth.forRestApi(rest, 'request') });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: [], AuthorizerResultTtlInSeconds: 0 });
    // The stage tells the function that this API accepts any credential header.
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageVariables: { [STAGE_CREDENTIALS_VARIABLE]: 'any' } });
    t.hasResourceProperties('AWS::ApiGateway::Stage', { Variables: { [STAGE_CREDENTIALS_VARIABLE]: 'any' } });
  });

  it('writes no credentials stage variable in the default mode', () => {
    const { stack, backend } = fixture();
    const api = new HttpApi(stack, 'Api');
    const auth = new TesseraAuthorizer(stack, 'Auth', { functionArn: ARN });
    api.addRoutes({ path: '/items', methods: [HttpMethod.GET], integration: new HttpLambdaIntegration('I', backend), authorizer: auth.forHttpApi(api) });
    const stage = Object.values(Template.fromStack(stack).findResources('AWS::ApiGatewayV2::Stage'))[0] as { Properties: { StageVariables?: Record<string, string> } };
    expect(stage.Properties.StageVariables?.[STAGE_CREDENTIALS_VARIABLE]).toBeUndefined();
  });

  it('attaches to a RestApi as a TOKEN authorizer with a result cache', () => {
    const { stack } = fixture();
    const api = new RestApi(stack, 'Rest', { deploy: false });
    const auth = new TesseraAuthorizer(stack, 'Auth', { functionArn: ARN, cacheTtl: Duration.seconds(20) });
    api.root.addResource('items').addMethod('GET', new MockIntegration(), { authorizer: auth.forRestApi(api) });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'TOKEN', IdentitySource: 'method.request.header.Authorization', AuthorizerResultTtlInSeconds: 20 });
    t.hasResourceProperties('AWS::ApiGateway::Method', { AuthorizationType: 'CUSTOM' });
  });

  it('attaches to a RestApi as a REQUEST authorizer', () => {
    const { stack } = fixture();
    const api = new RestApi(stack, 'Rest', { deploy: false });
    const auth = new TesseraAuthorizer(stack, 'Auth', { functionArn: ARN });
    api.root.addMethod('GET', new MockIntegration(), { authorizer: auth.forRestApi(api, 'request') });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'REQUEST', IdentitySource: 'method.request.header.Authorization,context.identity.sourceIp' });
  });

  it('adds the permission map to an authorizer function of the same app', () => {
    const { stack } = fixture();
    const fn = new LambdaFunction(stack, 'Authorizer', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x') });
    new TesseraAuthorizer(stack, 'A', { handler: fn, permissions: { 'GET /items': ['events:read'] } });
    new TesseraAuthorizer(stack, 'B', { handler: fn, permissions: { 'POST /items': ['events:write'], 'GET /items': ['events:read'] } });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TESSERA_ROUTE_PERMISSIONS: JSON.stringify({ 'GET /items': ['events:read'], 'POST /items': ['events:write'] }) } },
    });
  });

  it('refuses one route key with two different permission sets', () => {
    const { stack } = fixture();
    const fn = new LambdaFunction(stack, 'Authorizer', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x') });
    new TesseraAuthorizer(stack, 'A', { handler: fn, permissions: { 'GET /items': ['events:read'] } });
    expect(() => new TesseraAuthorizer(stack, 'B', { handler: fn, permissions: { 'GET /items': ['events:write'] } })).toThrow(/already requires/);
  });

  it("hands an imported authorizer the API's permission map through the stage (HttpApi)", () => {
    const { stack, backend } = fixture();
    const api = new HttpApi(stack, 'Api');
    const auth = new TesseraAuthorizer(stack, 'Auth', { functionArn: ARN, permissions: { 'GET /items': ['events:read', 'events:read'] } });
    api.addRoutes({ path: '/items', methods: [HttpMethod.GET], integration: new HttpLambdaIntegration('I', backend), authorizer: auth.forHttpApi(api) });
    const stage = Object.values(Template.fromStack(stack).findResources('AWS::ApiGatewayV2::Stage'))[0] as { Properties: { StageVariables: Record<string, string> } };
    expect(decodeStageMap(stage.Properties.StageVariables[STAGE_PERMISSIONS_VARIABLE])).toEqual({ 'GET /items': ['events:read'] });
  });

  it("hands an imported authorizer the API's permission map through the stage (RestApi, REQUEST only)", () => {
    const { stack } = fixture();
    const api = new RestApi(stack, 'Rest');
    const auth = new TesseraAuthorizer(stack, 'Auth', { functionArn: ARN, permissions: { 'GET /items': ['events:read'] } });
    expect(() => auth.forRestApi(api)).toThrow(/use kind 'request'/);
    api.root.addResource('items').addMethod('GET', new MockIntegration(), { authorizer: auth.forRestApi(api, 'request') });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Stage', {
      Variables: { [STAGE_PERMISSIONS_VARIABLE]: encodeStageMap({ 'GET /items': ['events:read'] }) },
    });
  });

  it('needs exactly one of handler and functionArn', () => {
    const { stack, backend } = fixture();
    expect(() => new TesseraAuthorizer(stack, 'None', {})).toThrow(/exactly one/);
    expect(() => new TesseraAuthorizer(stack, 'Both', { handler: backend, functionArn: ARN })).toThrow(/exactly one/);
  });
});
