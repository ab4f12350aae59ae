// Source networks per token (docs/rules.md §1.14): allowedCidrs on create and PATCH, refusals with
// reason network / network_unknown by the authorizer, per request and after its cache, and a clear
// 400 naming the entry for a block that is not one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerEvent } from '../../shared/authorizer-events.ts';
import { setLogLineSink } from '../../shared/usage-line.ts';
import { httpV2Event, restRequestEvent, restTokenEvent } from '../fixtures/aws/events.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let bob: string;
let handler: (event: AuthorizerEvent) => Promise<any>;
beforeAll(async () => {
  app = await startTestApp();
  bob = await app.login('bob');
  handler = (await import('../../functions/authorizer.ts')).handler;
});
afterAll(async () => app?.close());

/** A change of networks reaches every authorizer within the revocation bound (docs/rules.md §1.6). */
const ageCaches = () => app.advance(2);

describe('allowedCidrs through the HTTP API', () => {
  it('keeps a token to its networks: the local gateway passes the caller\'s real address (127.0.0.1)', async () => {
    const outside = await app.createToken(bob, { allowedCidrs: ['10.0.0.0/8'] });
    expect(outside.token.allowedCidrs).toEqual(['10.0.0.0/8']);
    expect((await app.callExample(outside.value)).status).toBe(403);
    const inside = await app.createToken(bob, { allowedCidrs: ['10.0.0.0/8', '127.0.0.0/8', '2001:db8::/32'] });
    expect((await app.callExample(inside.value)).status).toBe(200);
    const anywhere = await app.createToken(bob);
    expect(anywhere.token.allowedCidrs).toBeNull();
    expect((await app.callExample(anywhere.value)).status).toBe(200);
  });

  it('changes the networks with PATCH, null clearing them, and records which field changed', async () => {
    const { token, value } = await app.createToken(bob, { allowedCidrs: ['10.0.0.0/8'] });
    const cleared = await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { allowedCidrs: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.allowedCidrs).toBeNull();
    await ageCaches();
    expect((await app.callExample(value)).status).toBe(200);
    const set = await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { allowedCidrs: ['192.168.0.0/16', 'FD00:0:0:0:0:0:0:0/8'] } });
    expect(set.body.allowedCidrs).toEqual(['192.168.0.0/16', 'fd00::/8']);
    await ageCaches();
    expect((await app.callExample(value)).status).toBe(403);
    const entries = (await app.request('GET', `/v1/audit?tokenId=${token.id}&action=updated`, { jwt: bob })).body.items;
    expect(entries.map((e: any) => e.changes)).toEqual([['allowedCidrs'], ['allowedCidrs']]);
    expect(JSON.stringify(entries)).not.toContain('192.168');
  });

  it.each([
    [['10.0.0.1/8'], 'body.allowedCidrs.0', /host bits are set; the network is 10\.0\.0\.0\/8/],
    [['10.0.0.0/8', '10.0.0.0/33'], 'body.allowedCidrs.1', /prefix must be 0 to 32/],
    [['2001:db8::/200'], 'body.allowedCidrs.0', /prefix must be 0 to 128/],
    [['garbage'], 'body.allowedCidrs.0', /"garbage": not a CIDR block/],
    [[42], 'body.allowedCidrs.0', /string/],
    [Array.from({ length: 21 }, (_, i) => `10.${i}.0.0/16`), 'body.allowedCidrs', /at most 20/],
    [[], 'body.allowedCidrs', /null removes/],
    ['10.0.0.0/8', 'body.allowedCidrs', /array/],
  ])('refuses %j with 400 VALIDATION naming the entry, and changes nothing', async (allowedCidrs, path, message) => {
    const { token } = await app.createToken(bob);
    const before = await app.request('GET', '/v1/tokens?limit=100', { jwt: bob });
    for (const r of [
      await app.request('POST', '/v1/tokens', { jwt: bob, body: { name: 'n', permissions: ['events:read'], allowedCidrs } }),
      await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { allowedCidrs, name: 'changed' } }),
    ]) {
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION');
      const field = r.body.error.fields.find((f: any) => f.path === path);
      expect(field, JSON.stringify(r.body.error.fields)).toBeDefined();
      expect(field.message).toMatch(message);
    }
    expect((await app.request('GET', '/v1/tokens?limit=100', { jwt: bob })).body).toEqual(before.body);
  });
});

describe('the authorizer and source addresses', () => {
  /** The refusal reasons of the authorizer's usage lines (shared/usage-line.ts) while it runs. */
  const denials = () => {
    const lines: string[] = [];
    const previous = setLogLineSink((line) => {
      lines.push(line);
      previous?.(line);
    });
    const reasons = () => lines.map((l) => JSON.parse(l) as { outcome: string; reason?: string }).filter((l) => l.outcome === 'denied').map((l) => l.reason);
    return { reasons, restore: () => setLogLineSink(previous) };
  };
  const http = (value: string, sourceIp: string) => {
    const event = httpV2Event({ Authorization: `Bearer ${value}` });
    event.requestContext.http.sourceIp = sourceIp;
    return event;
  };

  it('never serves one address\'s acceptance to another from its cache (HTTP API)', async () => {
    const { value } = await app.createToken(bob, { allowedCidrs: ['10.0.0.0/8'] });
    const seen = denials();
    expect((await handler(http(value, '10.1.2.3'))).isAuthorized).toBe(true);
    expect((await handler(http(value, '127.0.0.1'))).isAuthorized).toBe(false);
    expect((await handler(http(value, '::ffff:10.9.9.9'))).isAuthorized).toBe(true);
    expect((await handler(http(value, '203.0.113.9'))).isAuthorized).toBe(false);
    expect(seen.reasons()).toEqual(['network', 'network']);
    seen.restore();
  });

  it('checks a REST REQUEST event\'s requestContext.identity.sourceIp', async () => {
    const { value } = await app.createToken(bob, { allowedCidrs: ['198.51.100.0/24'] });
    const event = restRequestEvent({ Authorization: `Bearer ${value}` });
    event.requestContext.identity.sourceIp = '198.51.100.7';
    expect((await handler(event)).policyDocument.Statement[0].Effect).toBe('Allow');
    event.requestContext.identity.sourceIp = '198.51.101.7';
    expect((await handler(event)).policyDocument.Statement[0].Effect).toBe('Deny');
  });

  it('refuses a restricted token in a REST TOKEN event, which has no address (network_unknown), and accepts others', async () => {
    const restricted = await app.createToken(bob, { allowedCidrs: ['0.0.0.0/0', '::/0'] });
    const open = await app.createToken(bob);
    const seen = denials();
    expect((await handler(restTokenEvent(`Bearer ${restricted.value}`))).policyDocument.Statement[0].Effect).toBe('Deny');
    expect(seen.reasons()).toEqual(['network_unknown']);
    seen.restore();
    expect((await handler(restTokenEvent(`Bearer ${open.value}`))).policyDocument.Statement[0].Effect).toBe('Allow');
  });
});
