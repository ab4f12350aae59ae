// API Gateway caches an authorizer's answer under its identity sources' values. Through the local
// gateway, which emulates that cache from the construct's settings, an API in the default mode
// (identity source Authorization, 30 s) must never serve one tenant's identity to a request that
// merely repeats an Authorization header (docs/rules.md §4.4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatedAuthorizer } from '../../local/authorizer-gateway.ts';
import { authorizerSettings } from '../../shared/authorizer-settings.ts';
import { clock } from '../../shared/clock.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let value: string;
let tokenId: string;
let bob: string;
beforeAll(async () => {
  app = await startTestApp({ exampleAuthorizer: authorizerSettings('http', 'authorization', 30) });
  bob = await app.login('bob');
  ({ value, token: { id: tokenId } } = await app.createToken(bob));
});
afterAll(async () => app?.close());

const whoami = (headers: Record<string, string>) => app.request('GET', '/example/whoami', { headers });

describe("the authorizer's cache key", () => {
  it('never serves a tenant identity cached under another request\'s Authorization header', async () => {
    // Act: the attacker pairs a junk bearer with a victim's X-API-Token, then sends the junk bearer alone.
    const primed = await whoami({ authorization: 'Bearer null', 'x-api-token': value });
    const replay = await whoami({ authorization: 'Bearer null' });
    // Assess: in the default mode only Authorization decides, so neither is accepted.
    expect(primed.status).toBe(403);
    expect(replay.status).toBe(403);
    expect(replay.body?.context).toBeUndefined();
  });

  it('answers 401 without the function to a request with only X-API-Token, as API Gateway does', async () => {
    const r = await whoami({ 'x-api-token': value });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ message: 'Unauthorized' });
  });

  it('accepts the bearer value, and serves it from the emulated cache for its TTL on the service clock', async () => {
    const first = await whoami({ authorization: `Bearer ${value}` });
    expect(first.status).toBe(200);
    expect(first.body.context).toMatchObject({ tenantId: 'acme', userId: 'bob' });
    expect((await app.request('PATCH', `/v1/tokens/${tokenId}`, { jwt: bob, body: { enabled: false } })).status).toBe(200);
    // The service clock also runs in real time: a loaded machine may add seconds between calls.
    await app.advance(15);
    expect((await whoami({ authorization: `Bearer ${value}` })).status).toBe(200); // API Gateway's cached answer
    await app.advance(16);
    expect((await whoami({ authorization: `Bearer ${value}` })).status).toBe(403);
  });
});

describe('a REST API in front of the real authorizer, as API Gateway calls it', () => {
  it("answers every method from one cached TOKEN policy, denying the routes the token's permissions lack", async () => {
    // Prepare: a token that may call whoami (no permission needed) but not events (events:read).
    const { value: rulesOnly } = await app.createToken(bob, { permissions: ['rules:read'] });
    const { handler } = await import('../../functions/authorizer.ts');
    const rest = new EmulatedAuthorizer({
      settings: authorizerSettings('rest-token', 'authorization', 300),
      invoke: (event) => handler(event as never),
      now: () => clock.now(),
    });
    const call = (path: string) => rest.authorize({ method: 'GET', path, routeKey: `GET ${path}`, headers: { authorization: `Bearer ${rulesOnly}` }, sourceIp: '127.0.0.1', requestId: 'r' });
    // Act
    const whoami = await call('/example/whoami');
    const events = await call('/example/events');
    // Assess: one invocation; its policy allows the stage and denies the route it lacks.
    expect(whoami).toMatchObject({ allow: true, context: { userId: 'bob', permissions: 'rules:read' } });
    expect(events).toMatchObject({ allow: false, status: 403 });
    expect(rest.invocations).toBe(1);
  });
});
