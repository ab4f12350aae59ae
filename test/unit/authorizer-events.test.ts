// The authorizer's event layer (shared/authorizer-events.ts) against AWS's documented sample
// events: which kind, which credential, which route, and the response shapes. No store, no clock;
// the handler itself is exercised in test/integration/authorizer.events.test.ts.
import { describe, expect, it } from 'vitest';
import { credentialOf, httpResponse, kindOf, restPolicy, routeOf } from '../../shared/authorizer-events.ts';
import type { Decision } from '../../shared/domain/verify.ts';
import {
  httpV2Event,
  httpV2Sample,
  restRequestEvent,
  restRequestSample,
  restTokenEvent,
  restTokenSample,
} from '../fixtures/aws/events.ts';

const VALUE = `tsr_${'A'.repeat(87)}`; // shape only: this layer does not verify
const UUID = '3f2b8c1e-9d4a-4e7b-8c21-5a6f0e9d1b2c';

const allow: Decision = {
  allow: true,
  grant: { tenantId: 'acme', userId: 'bob', tokenId: 'tok_0000000000000000A', permissions: ['events:read', 'rules:read'] },
};
const deny: Decision = { allow: false, reason: 'mismatch' };

describe('authorizer events: kinds', () => {
  it('tells the three documented event kinds apart', () => {
    expect(kindOf(httpV2Sample())).toBe('http');
    expect(kindOf(restTokenSample())).toBe('rest-token');
    expect(kindOf(restRequestSample())).toBe('rest-request');
  });
});

describe('authorizer events: credentials', () => {
  it('finds no credential in the samples as documented', () => {
    expect(credentialOf(httpV2Sample())).toBeUndefined();
    expect(credentialOf(restRequestSample())).toBeUndefined();
  });

  it('takes a bearer value from an HTTP API event', () => {
    expect(credentialOf(httpV2Event({ Authorization: `Bearer ${VALUE}` }))).toEqual({ kind: 'value', value: VALUE });
  });

  it('takes the bearer scheme in any case', () => {
    expect(credentialOf(httpV2Event({ Authorization: `bearer ${VALUE}` }))).toEqual({ kind: 'value', value: VALUE });
  });

  it('takes X-API-Token from an HTTP API event of an API that accepts any credential header', () => {
    expect(credentialOf(httpV2Event({ 'X-API-Token': VALUE }, 'any'))).toEqual({ kind: 'value', value: VALUE });
  });

  it('reads only Authorization, the identity source, in the default mode', () => {
    // The cache-confusion case: API Gateway would cache this answer under "Bearer null".
    expect(credentialOf(httpV2Event({ Authorization: 'Bearer null', 'X-API-Token': VALUE }))).toEqual({ kind: 'value', value: 'null' });
    expect(credentialOf(httpV2Event({ 'X-API-Token': VALUE }))).toBeUndefined();
    expect(credentialOf(httpV2Event({ 'X-API-UUID': UUID, 'X-API-Secret': 's' }))).toBeUndefined();
    expect(credentialOf(restRequestEvent({ 'X-API-Token': VALUE }))).toBeUndefined();
    expect(credentialOf(restRequestEvent({ Authorization: 'Bearer null', 'X-API-Token': VALUE }))).toEqual({ kind: 'value', value: 'null' });
  });

  it('takes the legacy UUID and secret from an HTTP API event of an API that accepts any credential header', () => {
    expect(credentialOf(httpV2Event({ 'X-API-UUID': UUID, 'X-API-Secret': 'old secret' }, 'any'))).toEqual({
      kind: 'legacy',
      uuid: UUID,
      secret: 'old secret',
    });
  });

  it('finds the headers of a REST REQUEST event whatever their capitalisation', () => {
    expect(credentialOf(restRequestEvent({ Authorization: `Bearer ${VALUE}` }))).toEqual({ kind: 'value', value: VALUE });
    expect(credentialOf(restRequestEvent({ 'X-API-Token': VALUE }, 'any'))).toEqual({ kind: 'value', value: VALUE });
    expect(credentialOf(restRequestEvent({ 'X-API-UUID': UUID, 'X-API-Secret': 's' }, 'any'))).toMatchObject({ kind: 'legacy', uuid: UUID });
  });

  it('takes the TOKEN authorizer token with or without the bearer scheme', () => {
    expect(credentialOf(restTokenEvent(`Bearer ${VALUE}`))).toEqual({ kind: 'value', value: VALUE });
    expect(credentialOf(restTokenEvent(VALUE))).toEqual({ kind: 'value', value: VALUE });
  });

  it('treats an empty TOKEN authorizer token as no credential', () => {
    expect(credentialOf(restTokenEvent(''))).toBeUndefined();
  });

  it('ignores a legacy UUID sent without its secret', () => {
    expect(credentialOf(httpV2Event({ 'X-API-UUID': UUID }, 'any'))).toBeUndefined();
  });
});

describe('authorizer events: routes', () => {
  it('looks up an HTTP API route by its route key', () => {
    expect(routeOf(httpV2Sample())).toBe('$default');
  });

  it('looks up a REST REQUEST route by method and resource', () => {
    expect(routeOf(restRequestSample())).toBe('GET /request');
  });

  it('looks up a REST TOKEN route by the method ARN', () => {
    expect(routeOf(restTokenSample())).toBe('GET /');
  });
});

describe('authorizer events: responses', () => {
  it('answers an HTTP API with a simple response and a string context', () => {
    expect(httpResponse(allow)).toEqual({
      isAuthorized: true,
      context: { tenantId: 'acme', userId: 'bob', tokenId: 'tok_0000000000000000A', permissions: 'events:read rules:read' },
    });
    expect(httpResponse(deny)).toEqual({ isAuthorized: false });
  });

  it('allows the whole stage and denies the listed routes in a REST policy', () => {
    // Act
    const policy = restPolicy(restRequestSample(), allow, ['POST /orders/{id}', 'GET /request']);
    // Assess
    expect(policy.principalId).toBe('bob');
    expect(policy.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/*' },
      {
        Action: 'execute-api:Invoke',
        Effect: 'Deny',
        Resource: [
          'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/POST/orders/*',
          'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/GET/request',
        ],
      },
    ]);
    expect(policy.context).toEqual({ tenantId: 'acme', userId: 'bob', tokenId: 'tok_0000000000000000A', permissions: 'events:read rules:read' });
  });

  it('keeps the stage wildcard of a TOKEN method ARN', () => {
    const policy = restPolicy(restTokenSample(), allow, []);
    expect(policy.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/*' },
    ]);
  });

  it('writes ANY as every method and ignores map keys that are not REST routes', () => {
    const policy = restPolicy(restRequestSample(), allow, ['ANY /admin/{proxy+}', '$default']);
    expect(policy.policyDocument.Statement[1]).toEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Deny',
      Resource: ['arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/*/admin/*'],
    });
  });

  it('denies only the called method, with no context, for a rejected credential', () => {
    const policy = restPolicy(restRequestSample(), deny, []);
    expect(policy.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/GET/request' },
    ]);
    expect(policy.context).toBeUndefined();
  });
});
