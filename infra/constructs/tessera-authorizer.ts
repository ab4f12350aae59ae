// Puts the Tessera authorizer (functions/authorizer.ts) in front of any HttpApi or RestApi, in this
// stack or another one. Give it the function (or its ARN, e.g. from the SSM parameter
// /tessera/<env>/authorizer-arn) and the API's route permission map (route key -> permissions).
//
//   const auth = new TesseraAuthorizer(this, 'Tessera', {
//     functionArn: StringParameter.valueForStringParameter(this, '/tessera/prod/authorizer-arn'),
//   });
//   httpApi.addRoutes({ path: '/items', methods: [HttpMethod.GET], integration, authorizer: auth.forHttpApi(httpApi) });
//   restApi.root.addMethod('GET', integration, { authorizer: auth.forRestApi(restApi) });
//
// HTTP APIs cache per credential, route and source address ($context.routeKey and
// $context.identity.sourceIp in the identity source), so a token allowed on one route is never
// served from the cache on a route it lacks permissions for, nor one address's answer to another
// (tokens may be restricted to source networks). REST REQUEST authorizers key on the address too;
// a REST TOKEN event carries no address, so it refuses restricted tokens (reason network_unknown):
// use forRestApi(api, 'request') for APIs whose callers use them.
// An imported function gets the API's permission map from the API's stage (stage variable
// tesseraPermissions); a function of this app gets it in its environment.
import { Duration, Lazy, Names } from 'aws-cdk-lib';
import { CfnStage as CfnRestStage, RequestAuthorizer, RestApi, TokenAuthorizer, type IAuthorizer, type IRestApi } from 'aws-cdk-lib/aws-apigateway';
import { CfnStage as CfnHttpStage, HttpApi, type HttpStage, type IHttpApi, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Alias, Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { encodeStageMap, STAGE_PERMISSIONS_VARIABLE } from '../../shared/route-permissions.ts';
import { authorizerSettings, DEFAULT_AUTHORIZER_CACHE_SECONDS, type AuthorizerKind, type AuthorizerSettings, type CredentialMode } from '../../shared/authorizer-settings.ts';

export type RoutePermissions = Readonly<Record<string, readonly string[]>>;

export interface TesseraAuthorizerProps {
  /** The authorizer function or its `live` alias, when it is in this app. */
  readonly handler?: IFunction;
  /** Or its ARN (another stack: the SSM parameter /tessera/<env>/authorizer-arn). */
  readonly functionArn?: string;
  /**
   * Route key -> permissions the token must carry: `GET /items/{id}` (HTTP API route key), or
   * `GET /items/{id}` as METHOD + resource path for REST APIs.
   */
  readonly permissions?: RoutePermissions;
  /**
   * API Gateway's result cache. Default 0 (off): every request reaches the function, whose own
   * cache answers without a read and is revoked within 2 s through the revocation feed; that costs
   * one Lambda invocation per request ($0.20 per million, plus ~1–2 ms of duration when cached).
   * The alternative, `Duration.seconds(39)`, saves invocations for repeated calls but a cached
   * API Gateway answer cannot be revoked: revocation then takes up to 39 + 2 = 41 s (README,
   * "Caching and the worst-case revocation delay").
   */
  readonly cacheTtl?: Duration;
  /**
   * 'authorization' (default): only `Authorization: Bearer tsr_...` credentials, cached per value and
   * route; the function reads no other header. 'any': also `X-API-Token` and the legacy
   * `X-API-UUID` + `X-API-Secret` headers; API Gateway cannot key its cache on "one of several
   * headers", so its cache is off, each request reaches the function (whose own short cache still
   * applies), and the API's stage tells the function so (stage variable tesseraCredentials).
   * shared/authorizer-settings.ts holds what each mode means; the local gateway emulates it.
   */
  readonly credentials?: CredentialMode;
}

/** Permission maps merged per owned authorizer function, written to its environment lazily. */
const maps = new WeakMap<LambdaFunction, Map<string, readonly string[]>>();

function ownedFunction(handler: IFunction): LambdaFunction | undefined {
  if (handler instanceof LambdaFunction) return handler;
  if (handler instanceof Alias && handler.version.lambda instanceof LambdaFunction) return handler.version.lambda;
  return undefined;
}

export class TesseraAuthorizer extends Construct {
  /**
   * Adds `permissions` to what an authorizer function of this app enforces (its
   * TESSERA_ROUTE_PERMISSIONS). A route key given twice must ask for the same permissions.
   */
  static requirePermissions(fn: LambdaFunction, permissions: RoutePermissions): void {
    let map = maps.get(fn);
    if (!map) {
      const created = new Map<string, readonly string[]>();
      maps.set(fn, created);
      map = created;
      fn.addEnvironment('TESSERA_ROUTE_PERMISSIONS', Lazy.string({
        produce: () => JSON.stringify(Object.fromEntries([...created.entries()].sort(([a], [b]) => a.localeCompare(b)))),
      }));
    }
    for (const [route, needs] of Object.entries(permissions)) {
      const wanted = [...new Set(needs)].sort();
      const existing = map.get(route);
      if (existing && existing.join(' ') !== wanted.join(' ')) {
        throw new Error(`Route ${route} already requires [${existing.join(', ')}]; cannot also require [${wanted.join(', ')}]`);
      }
      map.set(route, wanted);
    }
  }

  /** The permission map an owned authorizer function enforces (for tests and outputs). */
  static permissionsOf(fn: LambdaFunction): Record<string, readonly string[]> {
    return Object.fromEntries(maps.get(fn) ?? []);
  }

  readonly handler: IFunction;
  private readonly cacheTtlSeconds: number;
  private readonly credentials: CredentialMode;
  private readonly http = new Map<IHttpApi, HttpLambdaAuthorizer>();
  private readonly rest = new Map<IRestApi, IAuthorizer>();
  /** For an imported function: the map the API's stage hands it (stage variable). */
  private readonly stageMap?: string;

  constructor(scope: Construct, id: string, props: TesseraAuthorizerProps) {
    super(scope, id);
    if (!props.handler === !props.functionArn) throw new Error('TesseraAuthorizer needs exactly one of handler and functionArn');
    this.handler = props.handler
      ?? LambdaFunction.fromFunctionAttributes(this, 'Function', { functionArn: props.functionArn!, sameEnvironment: true });
    this.credentials = props.credentials ?? 'authorization';
    this.cacheTtlSeconds = (props.cacheTtl ?? Duration.seconds(DEFAULT_AUTHORIZER_CACHE_SECONDS)).toSeconds();
    this.settings('http'); // validates the TTL

    const permissions = props.permissions ?? {};
    const owned = ownedFunction(this.handler);
    if (owned) TesseraAuthorizer.requirePermissions(owned, permissions);
    else if (Object.keys(permissions).length > 0) {
      // An imported function cannot be given an environment from here: the API's stage carries
      // the map instead (stage variable tesseraPermissions), and the function reads it per request.
      const sorted = Object.fromEntries(Object.entries(permissions).sort(([a], [b]) => a.localeCompare(b)).map(([r, p]) => [r, [...new Set(p)].sort()]));
      this.stageMap = encodeStageMap(sorted);
      if (this.stageMap.length > 2048) throw new Error('The permission map is too large for a stage variable (2048 characters encoded)');
    }
  }

  /** What API Gateway is told for one authorizer kind (shared/authorizer-settings.ts). */
  settings(kind: AuthorizerKind): AuthorizerSettings {
    return authorizerSettings(kind, this.credentials, this.cacheTtlSeconds);
  }

  /**
   * The route authorizer for one HttpApi (payload 2.0, simple responses). `stage`: the API's stage
   * when it is not the API's default stage (LoggedHttpApi creates its own).
   */
  forHttpApi(api: IHttpApi, stage?: HttpStage): IHttpRouteAuthorizer {
    let authorizer = this.http.get(api);
    if (!authorizer) {
      const settings = this.settings('http');
      const variables = { ...settings.stageVariables, ...(this.stageMap ? { [STAGE_PERMISSIONS_VARIABLE]: this.stageMap } : {}) };
      if (Object.keys(variables).length > 0) {
        const target = stage ?? (api instanceof HttpApi ? api.defaultStage : undefined);
        if (!target) throw new Error('This Tessera authorizer writes stage variables: give forHttpApi the API\'s stage');
        setStageVariables(target.node.defaultChild as CfnHttpStage, 'stageVariables', variables);
      }
      authorizer = new HttpLambdaAuthorizer('TesseraAuthorizer', this.handler, {
        authorizerName: 'tessera',
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        identitySource: [...settings.identitySource],
        resultsCacheTtl: Duration.seconds(settings.cacheTtlSeconds),
      });
      this.http.set(api, authorizer);
    }
    return authorizer;
  }

  /**
   * The authorizer for one RestApi: TOKEN (default; `Authorization` header) or REQUEST. The
   * function answers with a policy for the whole stage that denies the routes the token lacks
   * permissions for, so a cached answer stays right on every method.
   */
  forRestApi(api: IRestApi, kind: 'token' | 'request' = 'token'): IAuthorizer {
    let authorizer = this.rest.get(api);
    if (!authorizer) {
      const settings = this.settings(kind === 'token' ? 'rest-token' : 'rest-request');
      // TOKEN events carry no stage variables, so the stage's permission map needs REQUEST.
      if (this.stageMap && kind === 'token') throw new Error("An imported Tessera authorizer with permissions reads them from the stage: use kind 'request'");
      const variables = { ...settings.stageVariables, ...(this.stageMap ? { [STAGE_PERMISSIONS_VARIABLE]: this.stageMap } : {}) };
      if (Object.keys(variables).length > 0) {
        const stage = api instanceof RestApi ? api.deploymentStage : undefined;
        if (!stage) throw new Error('This Tessera authorizer writes stage variables: it needs a RestApi with its deployment stage');
        setStageVariables(stage.node.defaultChild as CfnRestStage, 'variables', variables);
      }
      const id = `Rest${kind === 'token' ? 'Token' : 'Request'}${Names.nodeUniqueId(api.node)}`;
      authorizer = kind === 'token'
        ? new TokenAuthorizer(this, id, {
            handler: this.handler,
            authorizerName: 'tessera',
            identitySource: settings.identitySource[0],
            resultsCacheTtl: Duration.seconds(settings.cacheTtlSeconds),
          })
        : new RequestAuthorizer(this, id, {
            handler: this.handler,
            authorizerName: 'tessera',
            identitySources: [...settings.identitySource],
            resultsCacheTtl: Duration.seconds(settings.cacheTtlSeconds),
          });
      this.rest.set(api, authorizer);
    }
    return authorizer;
  }
}

function setStageVariables<S extends CfnHttpStage | CfnRestStage>(stage: S, property: 'stageVariables' | 'variables', values: Record<string, string>): void {
  const current = ((stage as unknown as Record<string, unknown>)[property] ?? {}) as Record<string, string>;
  (stage as unknown as Record<string, unknown>)[property] = { ...current, ...values };
}
