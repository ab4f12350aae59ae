// API Gateway's side of a Lambda authorizer, as the local gateway emulates it from the construct's
// settings: identity sources, the result cache and its key, and the answers of each kind.
import { describe, expect, it } from 'vitest';
import { arnMatches, EmulatedAuthorizer, evaluatePolicy, type GatewayRequest } from '../../local/authorizer-gateway.ts';
import { authorizerSettings, type AuthorizerKind, type CredentialMode } from '../../shared/authorizer-settings.ts';

const request = (headers: Record<string, string>, routeKey = 'GET /items', path = '/items'): GatewayRequest => ({
  method: routeKey.split(' ')[0], path, routeKey, headers, sourceIp: '203.0.113.9', requestId: 'r1',
});

function emulated(kind: AuthorizerKind, credentials: CredentialMode, ttl: number, answer: (event: any) => unknown) {
  let now = 1_000_000;
  const events: any[] = [];
  const auth = new EmulatedAuthorizer({
    settings: authorizerSettings(kind, credentials, ttl),
    invoke: async (event) => {
      events.push(event);
      return answer(event);
    },
    now: () => now,
    apiId: 'api1',
    stage: 'prod',
  });
  return { auth, events, advance: (s: number) => (now += s * 1000) };
}

const allowHttp = () => ({ isAuthorized: true, context: { userId: 'bob' } });

describe('emulated API Gateway authorizer: HTTP API', () => {
  it('answers 401 without calling the function when an identity source is missing', async () => {
    const { auth, events } = emulated('http', 'authorization', 30, allowHttp);
    expect(await auth.authorize(request({ 'x-api-token': 'tsr_x' }))).toEqual({ allow: false, status: 401, body: { message: 'Unauthorized' } });
    expect(await auth.authorize(request({ authorization: '' }))).toMatchObject({ status: 401 });
    expect(events).toHaveLength(0);
  });

  it('caches on exactly the identity sources (Authorization, route key, source address) for the TTL of the service clock', async () => {
    const { auth, events, advance } = emulated('http', 'authorization', 30, allowHttp);
    await auth.authorize(request({ authorization: 'Bearer a', 'x-api-token': 'one' }));
    await auth.authorize(request({ authorization: 'Bearer a', 'x-api-token': 'two' })); // other headers are not in the key
    expect(events).toHaveLength(1);
    expect(events[0].identitySource).toEqual(['Bearer a', 'GET /items', '203.0.113.9']);
    await auth.authorize(request({ authorization: 'Bearer a' }, 'POST /items'));
    expect(events).toHaveLength(2);
    await auth.authorize({ ...request({ authorization: 'Bearer a' }), sourceIp: '198.51.100.7' });
    expect(events).toHaveLength(3);
    events.pop();
    advance(29);
    await auth.authorize(request({ authorization: 'Bearer a' }));
    expect(events).toHaveLength(2);
    advance(2);
    await auth.authorize(request({ authorization: 'Bearer a' }));
    expect(events).toHaveLength(3);
  });

  it("calls the function for every request in 'any' mode, with the stage variable that says so", async () => {
    const { auth, events } = emulated('http', 'any', 30, allowHttp);
    expect(await auth.authorize(request({ 'x-api-token': 'tsr_x' }))).toEqual({ allow: true, context: { userId: 'bob' } });
    await auth.authorize(request({ 'x-api-token': 'tsr_x' }));
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ version: '2.0', type: 'REQUEST', identitySource: null, stageVariables: { tesseraCredentials: 'any' } });
  });

  it('answers 403 for isAuthorized false and 500 for a failure or a malformed answer', async () => {
    expect(await emulated('http', 'any', 0, () => ({ isAuthorized: false })).auth.authorize(request({}))).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
    expect(await emulated('http', 'any', 0, () => { throw new Error('boom'); }).auth.authorize(request({}))).toMatchObject({ status: 500 });
    expect(await emulated('http', 'any', 0, () => ({ ok: true })).auth.authorize(request({}))).toMatchObject({ status: 500 });
  });
});

describe('emulated API Gateway authorizer: REST', () => {
  const policy = (event: any) => ({
    principalId: 'bob',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn.replace(/\/[A-Z]+\/.*$/, '/*') },
        { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [event.methodArn.replace(/\/[A-Z]+\/.*$/, '/POST/items')] },
      ],
    },
    context: { userId: 'bob' },
  });

  it('sends a TOKEN event with the token source and evaluates a cached policy against each method', async () => {
    const { auth, events } = emulated('rest-token', 'authorization', 300, policy);
    expect(await auth.authorize(request({}))).toMatchObject({ status: 401 });
    expect(await auth.authorize(request({ authorization: 'Bearer t' }))).toMatchObject({ allow: true, context: { userId: 'bob', principalId: 'bob' } });
    expect(events[0]).toEqual({ type: 'TOKEN', authorizationToken: 'Bearer t', methodArn: 'arn:aws:execute-api:us-east-1:000000000000:api1/prod/GET/items' });
    // The same token on another method: the cached policy answers, and its Deny holds.
    expect(await auth.authorize(request({ authorization: 'Bearer t' }, 'POST /items'))).toMatchObject({ status: 403, body: { Message: expect.stringContaining('explicit deny') } });
    expect(events).toHaveLength(1);
  });

  it('answers 401 when the TOKEN function throws Unauthorized, and 500 for other failures', async () => {
    expect(await emulated('rest-token', 'authorization', 0, () => { throw new Error('Unauthorized'); }).auth.authorize(request({ authorization: 'x' }))).toMatchObject({ status: 401 });
    expect(await emulated('rest-token', 'authorization', 0, () => { throw new Error('other'); }).auth.authorize(request({ authorization: 'x' }))).toMatchObject({ status: 500 });
  });

  it('checks REQUEST identity sources only while caching is on', async () => {
    const cached = emulated('rest-request', 'authorization', 60, policy);
    expect(await cached.auth.authorize(request({ 'x-api-token': 'v' }))).toMatchObject({ status: 401 });
    const uncached = emulated('rest-request', 'any', 60, policy);
    expect(await uncached.auth.authorize(request({ 'x-api-token': 'v' }))).toMatchObject({ allow: true });
    expect(uncached.events[0]).toMatchObject({ type: 'REQUEST', httpMethod: 'GET', resource: '/items', stageVariables: { tesseraCredentials: 'any' } });
  });

  it('matches ARNs and policies as IAM does', () => {
    expect(arnMatches('arn:aws:execute-api:r:a:api/prod/*', 'arn:aws:execute-api:r:a:api/prod/GET/items')).toBe(true);
    expect(arnMatches('arn:aws:execute-api:r:a:api/prod/GET/items/*', 'arn:aws:execute-api:r:a:api/prod/GET/items')).toBe(false);
    expect(evaluatePolicy({ Statement: [] }, 'x')).toBe('none');
    expect(evaluatePolicy(undefined, 'x')).toBe('invalid');
  });
});
