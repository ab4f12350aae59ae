// DynamoDB's eventual consistency in the local store (local/consistency.ts): index queries miss
// writes younger than the lag, eventually consistent reads may answer the previous image, and
// strongly consistent reads always see the latest write.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf } from '../../local/identities.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

// Long enough that a slow machine never outruns it; "later" is reached by turning the lag off.
const LAG = 5000;
let app: TestApp;
let bob: string;
let client: DynamoDBDocumentClient;

beforeAll(async () => {
  app = await startTestApp({ consistency: { indexLagMs: LAG, readLagMs: 0 } });
  bob = await app.login('bob');
  client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: app.storeProxy.endpoint, region: 'us-east-1', credentials: identityOf('createToken'), maxAttempts: 1 }), // a function that may Get and Put
  );
});
afterAll(async () => {
  client?.destroy();
  await app?.close();
});

/** Lets every write settle (the lag off) and turns it back on for the next writes. */
async function settled<T>(read: () => Promise<T>): Promise<T> {
  app.consistency.set({ indexLagMs: 0, readLagMs: 0 });
  try {
    return await read();
  } finally {
    app.consistency.set({ indexLagMs: LAG });
  }
}
const listed = async () => ((await app.request('GET', '/v1/tokens?limit=100', { jwt: bob })).body.items as { id: string; name: string }[]);

describe('eventual consistency of the local store', () => {
  it('leaves a token just created out of the index for the lag, while a read by key finds it', async () => {
    // Act
    const { token } = await app.createToken(bob, { name: 'fresh' });
    const soon = await listed();
    const byKey = await app.request('GET', `/v1/tokens/${token.id}`, { jwt: bob });
    const later = await settled(listed);
    // Assess
    expect(soon.map((t) => t.id)).not.toContain(token.id);
    expect(byKey.status).toBe(200);
    expect(later.map((t) => t.id)).toContain(token.id);
  });

  it('shows a token changed within the lag as it was before in the index', async () => {
    const { token } = await settled(() => app.createToken(bob, { name: 'before' }));
    expect((await app.request('PATCH', `/v1/tokens/${token.id}`, { jwt: bob, body: { name: 'after' } })).status).toBe(200);
    const soon = (await listed()).find((t) => t.id === token.id);
    const later = (await settled(listed)).find((t) => t.id === token.id);
    expect(soon?.name).toBe('before');
    expect(later?.name).toBe('after');
  });

  it('answers an eventually consistent read with the previous image within the read lag, never a strong read', async () => {
    // Prepare
    const key = { pk: 'CONSISTENCY#1', sk: 'X' };
    const table = process.env.TESSERA_TABLE!;
    await settled(() => client.send(new PutCommand({ TableName: table, Item: { ...key, v: 1 } })));
    app.consistency.set({ readLagMs: LAG });
    // Act
    await client.send(new PutCommand({ TableName: table, Item: { ...key, v: 2 } }));
    const eventual = await client.send(new GetCommand({ TableName: table, Key: key }));
    const strong = await client.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    const later = await settled(() => client.send(new GetCommand({ TableName: table, Key: key })));
    // Assess
    expect(eventual.Item?.v).toBe(1);
    expect(strong.Item?.v).toBe(2);
    expect(later.Item?.v).toBe(2);
  });

  it('can be turned off while running: then a list sees a token created just before', async () => {
    const listedAtOnce = await settled(async () => {
      const { token } = await app.createToken(bob, { name: 'immediate' });
      return (await listed()).map((t) => t.id).includes(token.id);
    });
    expect(listedAtOnce).toBe(true);
  });
});
