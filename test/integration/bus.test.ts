// The local EventBridge bus over HTTP (local/bus.ts): PutEvents as the SDK sends it, Tessera's
// domain events kept for GET /_local/events, a matching identity event delivered to the
// user-events function asynchronously, malformed entries refused per entry as EventBridge does.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf } from '../../local/identities.ts';
import { LOCAL_BUS_NAME } from '../../local/bus.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let events: EventBridgeClient;

beforeAll(async () => {
  app = await startTestApp();
  events = new EventBridgeClient({ endpoint: app.bus.endpoint, region: 'us-east-1', credentials: identityOf('userEvents'), maxAttempts: 1 });
});
afterAll(async () => {
  events?.destroy();
  await app?.close();
});

describe('the local event bus', () => {
  it("keeps the domain events the functions publish, as GET /_local/events shows them", async () => {
    const { token } = await app.createToken(await app.login('bob'));
    const listed = await app.request('GET', '/_local/events');
    const created = listed.body.events.filter((e: { detailType: string; detail: { tokenId: string } }) => e.detailType === 'TokenCreated' && e.detail.tokenId === token.id);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ source: 'tessera.tokens', detail: { tenantId: 'acme', ownerId: 'bob' } });
  });

  it('delivers an identity event put on the bus to the user-events function, asynchronously', async () => {
    // Act
    const out = await events.send(new PutEventsCommand({
      Entries: [{
        EventBusName: LOCAL_BUS_NAME,
        Source: 'tessera.identity',
        DetailType: 'UserChanged',
        Detail: JSON.stringify({ tenantId: 'acme', userId: 'bus-user', version: 1, role: 'analyst', status: 'active', authMethod: 'password' }),
      }],
    }));
    // Assess: the user exists once the rule's target has run
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries?.[0].EventId).toMatch(/^[0-9a-f-]{36}$/);
    const jwt = await app.login('bus-user');
    await expect.poll(async () => (await app.request('GET', '/v1/me', { jwt })).body?.user?.role, { timeout: 5000 }).toBe('analyst');
  });

  it('refuses malformed entries one by one, and accepts the others', async () => {
    const out = await events.send(new PutEventsCommand({
      Entries: [
        { EventBusName: LOCAL_BUS_NAME, Source: 'elsewhere', DetailType: 'Something', Detail: '{not json' },
        { EventBusName: 'no-such-bus', Source: 'elsewhere', DetailType: 'Something', Detail: '{}' },
        { EventBusName: LOCAL_BUS_NAME, Source: 'elsewhere', DetailType: 'Something', Detail: '{"ok":true}' },
      ],
    }));
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual(['MalformedDetail', 'ResourceNotFoundException', 'ok']);
  });
});
