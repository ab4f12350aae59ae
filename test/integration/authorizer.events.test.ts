// functions/authorizer.ts called directly with AWS's documented sample events (test/fixtures/aws),
// against the embedded store: HTTP API 2.0 simple responses, REST TOKEN and REST REQUEST policies.
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerEvent } from '../../shared/authorizer-events.ts';
import { permissionMap } from '../../shared/routes.ts';
import { sha256Hex } from '../../shared/token-value.ts';
import { httpV2Event, httpV2Sample, restRequestEvent, restRequestSample, restTokenEvent, restTokenSample } from '../fixtures/aws/events.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

// The REST sample calls GET /request on API s4x3opwd6i, stage test.
const ROUTES = { ...permissionMap('example'), 'GET /request': ['events:read'], 'POST /orders/{id}': ['rules:write'] };
const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test';

let app: TestApp;
let handler: (event: AuthorizerEvent) => Promise<any>;
let bob: string;
beforeAll(async () => {
  app = await startTestApp({ env: { TESSERA_ROUTE_PERMISSIONS: JSON.stringify(ROUTES) } });
  // After the app has set the environment, as a cold start would find it.
  handler = (await import('../../functions/authorizer.ts')).handler;
  bob = await app.login('bob');
});
afterAll(async () => app?.close());

const deniedResources = (result: APIGatewayAuthorizerResult) =>
  result.policyDocument.Statement.filter((s) => s.Effect === 'Deny').flatMap((s) => ('Resource' in s ? [s.Resource].flat() : []));

describe('authorizer handler: HTTP API payload 2.0', () => {
  it('answers a valid bearer value with isAuthorized and the token context', async () => {
    // Prepare
    const { token, value } = await app.createToken(bob, { permissions: ['events:read', 'rules:read'] });
    // Act
    const result = await handler(httpV2Event({ Authorization: `Bearer ${value}` }));
    // Assess
    expect(result).toEqual({
      isAuthorized: true,
      context: { tenantId: 'acme', userId: 'bob', tokenId: token.id, permissions: 'events:read rules:read' },
    });
  });

  it('answers a valid X-API-Token the same way', async () => {
    const { token, value } = await app.createToken(bob);
    const result = await handler(httpV2Event({ 'X-API-Token': value }, 'any'));
    expect(result).toMatchObject({ isAuthorized: true, context: { tokenId: token.id } });
  });

  it('answers a rejected value with isAuthorized false and no context', async () => {
    const { value } = await app.createToken(bob);
    const typo = value.slice(0, -1) + (value.endsWith('a') ? 'b' : 'a');
    expect(await handler(httpV2Event({ Authorization: `Bearer ${typo}` }))).toEqual({ isAuthorized: false });
  });

  it('answers the sample as documented, which carries no Tessera credential, with isAuthorized false', async () => {
    expect(await handler(httpV2Sample())).toEqual({ isAuthorized: false });
  });
});

describe('authorizer handler: REST TOKEN', () => {
  it('answers a valid token with a policy for the user that allows the stage', async () => {
    // Prepare
    const { token, value } = await app.createToken(await app.login('alice'), { permissions: ['events:read', 'rules:write'] });
    // Act
    const result: APIGatewayAuthorizerResult = await handler(restTokenEvent(`Bearer ${value}`));
    // Assess: the sample's method ARN names every stage (`*`) of API ymy8tbxw7b.
    expect(result.principalId).toBe('alice');
    expect(result.policyDocument.Statement).toContainEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/*',
    });
    expect(deniedResources(result)).toEqual([]);
    expect(result.context).toEqual({ tenantId: 'acme', userId: 'alice', tokenId: token.id, permissions: 'events:read rules:write' });
  });

  it('accepts the value without the bearer scheme', async () => {
    const { value } = await app.createToken(bob);
    const result: APIGatewayAuthorizerResult = await handler(restTokenEvent(value));
    expect(result.principalId).toBe('bob');
  });

  it('denies the method for the sample token as documented ("allow" is no Tessera value)', async () => {
    const result: APIGatewayAuthorizerResult = await handler(restTokenSample());
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/' },
    ]);
    expect(result.context).toBeUndefined();
  });

  it('throws Unauthorized, which API Gateway answers with 401, when there is no token', async () => {
    await expect(handler(restTokenEvent(''))).rejects.toThrow('Unauthorized');
  });
});

describe('authorizer handler: REST REQUEST', () => {
  it('allows the stage and denies the mapped routes whose permissions the token lacks', async () => {
    // Prepare
    const { token, value } = await app.createToken(bob, { permissions: ['events:read'] });
    // Act
    const result: APIGatewayAuthorizerResult = await handler(restRequestEvent({ Authorization: `Bearer ${value}` }));
    // Assess
    expect(result.principalId).toBe('bob');
    expect(result.policyDocument.Statement).toContainEqual({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${STAGE}/*` });
    expect(deniedResources(result)).toEqual([`${STAGE}/POST/orders/*`]);
    expect(result.context).toEqual({ tenantId: 'acme', userId: 'bob', tokenId: token.id, permissions: 'events:read' });
  });

  it('refuses the called route through its Deny statement, keeping the rest of the policy for the cache', async () => {
    // Prepare: GET /request needs events:read, which this token lacks.
    const { value } = await app.createToken(bob, { permissions: ['rules:read'] });
    // Act
    const result: APIGatewayAuthorizerResult = await handler(restRequestEvent({ 'X-API-Token': value }, 'any'));
    // Assess: API Gateway answers 403 for GET /request; the cached policy still allows /example/whoami.
    expect(result.principalId).toBe('bob');
    expect(result.policyDocument.Statement).toContainEqual({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${STAGE}/*` });
    expect(deniedResources(result)).toEqual(
      expect.arrayContaining([`${STAGE}/GET/request`, `${STAGE}/GET/example/events`, `${STAGE}/POST/orders/*`]),
    );
    expect(deniedResources(result)).not.toContain(`${STAGE}/GET/example/whoami`);
  });

  it('answers legacy UUID and secret headers with the owner\'s policy', async () => {
    // Prepare
    const uuid = '0b7d2f64-5c1e-4a8b-9f3d-2e6a1c4b8d70';
    const secret = 'events-fixture-legacy-secret';
    const imported = await app.request('POST', '/_local/legacy-import', {
      body: { credentials: [{ tenantId: 'acme', userId: 'carol', uuid, secretSha256: sha256Hex(secret) }] },
    });
    expect(imported.body.imported).toBe(1);
    // Act
    const result: APIGatewayAuthorizerResult = await handler(restRequestEvent({ 'X-API-UUID': uuid, 'X-API-Secret': secret }, 'any'));
    // Assess: carol is read_only, which includes events:read.
    expect(result.principalId).toBe('carol');
    expect(result.context?.permissions).toContain('events:read');
  });

  it('denies only the called method, with no context, for a rejected value', async () => {
    const result: APIGatewayAuthorizerResult = await handler(restRequestEvent({ Authorization: 'Bearer tsr_not-a-value' }));
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: `${STAGE}/GET/request` }]);
    expect(result.context).toBeUndefined();
  });

  it('throws Unauthorized for the sample as documented, which carries no credential', async () => {
    await expect(handler(restRequestSample())).rejects.toThrow('Unauthorized');
  });
});
