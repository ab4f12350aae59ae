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
// HTTP APIs cache per credential *and route* ($context.routeKey in the identity source), so a
// token allowed on one route is never served from the cache on a route it lacks permissions for.
import { Annotations, Duration, Lazy, Names } from 'aws-cdk-lib';
import { IdentitySource, RequestAuthorizer, TokenAuthorizer, type IAuthorizer, type IRestApi } from 'aws-cdk-lib/aws-apigateway';
import type { IHttpApi, IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Alias, Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

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
  /** API Gateway's result cache; 0 disables it. Default 30 s (see the README on revocation delays). */
  readonly cacheTtl?: Duration;
  /**
   * 'authorization' (default): only `Authorization: Bearer tsr_...` credentials, cached per value and
   * route. 'any': also `X-API-Token` and the legacy `X-API-UUID` + `X-API-Secret` headers; API
   * Gateway cannot key its cache on "one of several headers", so its cache is off and each
   * request reaches the function (whose own short cache still applies).
   */
  readonly credentials?: 'authorization' | 'any';
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
  private readonly cacheTtl: Duration;
  private readonly credentials: 'authorization' | 'any';
  private readonly http = new Map<IHttpApi, HttpLambdaAuthorizer>();
  private readonly rest = new Map<IRestApi, IAuthorizer>();

  constructor(scope: Construct, id: string, props: TesseraAuthorizerProps) {
    super(scope, id);
    if (!props.handler === !props.functionArn) throw new Error('TesseraAuthorizer needs exactly one of handler and functionArn');
    this.handler = props.handler
      ?? LambdaFunction.fromFunctionAttributes(this, 'Function', { functionArn: props.functionArn!, sameEnvironment: true });
    this.credentials = props.credentials ?? 'authorization';
    this.cacheTtl = this.credentials === 'any' ? Duration.seconds(0) : (props.cacheTtl ?? Duration.seconds(30));
    if (this.cacheTtl.toSeconds() > 3600) throw new Error('API Gateway caches authorizer results for at most 3600 s');

    const permissions = props.permissions ?? {};
    const owned = ownedFunction(this.handler);
    if (owned) TesseraAuthorizer.requirePermissions(owned, permissions);
    else if (Object.keys(permissions).length > 0) {
      // An imported authorizer enforces the map it was deployed with; it cannot be changed from here.
      Annotations.of(this).addWarningV2('tessera:imported-authorizer-permissions',
        `The imported Tessera authorizer enforces only the route permissions it was deployed with. Add ${Object.keys(permissions).join(', ')} ` +
        "to the Tessera environment's extraRoutePermissions (infra/environments.ts) and redeploy Tessera.");
    }
  }

  /** The route authorizer for one HttpApi (payload 2.0, simple responses). */
  forHttpApi(api: IHttpApi): IHttpRouteAuthorizer {
    let authorizer = this.http.get(api);
    if (!authorizer) {
      authorizer = new HttpLambdaAuthorizer('TesseraAuthorizer', this.handler, {
        authorizerName: 'tessera',
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        identitySource: this.credentials === 'any' ? [] : ['$request.header.Authorization', '$context.routeKey'],
        resultsCacheTtl: this.cacheTtl,
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
      if (kind === 'token' && this.credentials === 'any') throw new Error("A TOKEN authorizer reads one header; use kind 'request' for credentials: 'any'");
      const id = `Rest${kind === 'token' ? 'Token' : 'Request'}${Names.nodeUniqueId(api.node)}`;
      authorizer = kind === 'token'
        ? new TokenAuthorizer(this, id, {
            handler: this.handler,
            authorizerName: 'tessera',
            identitySource: IdentitySource.header('Authorization'),
            resultsCacheTtl: this.cacheTtl,
          })
        : new RequestAuthorizer(this, id, {
            handler: this.handler,
            authorizerName: 'tessera',
            identitySources: this.credentials === 'any' ? [] : [IdentitySource.header('Authorization')],
            resultsCacheTtl: this.cacheTtl,
          });
      this.rest.set(api, authorizer);
    }
    return authorizer;
  }
}
