// The local store endpoint (local/store-proxy.ts): every DynamoDB call of the local runtime goes
// through it, interceptors see the action, the request and the caller's identity, and may answer
// in DynamoDB's error shapes, drop the connection or hold a call.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf } from '../../local/identities.ts';
import { DROP, dynamoError, type StoreCall } from '../../local/store-proxy.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { installFaults } from '../helpers/faults.ts';

let app: TestApp;
let client: DynamoDBDocumentClient;
const table = () => process.env.TESSERA_TABLE!;

beforeAll(async () => {
  app = await startTestApp();
  client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: app.storeProxy.endpoint, region: 'us-east-1', credentials: identityOf('createToken'), maxAttempts: 1 }),
  );
});
afterAll(async () => {
  client?.destroy();
  await app?.close();
});

describe('the local store proxy', () => {
  it('hands interceptors the action, the request body and the signing identity', async () => {
    // Prepare
    const seen: StoreCall[] = [];
    const remove = app.storeProxy.use(async (call, next) => {
      seen.push(call);
      return next();
    });
    // Act
    await client.send(new PutCommand({ TableName: table(), Item: { pk: 'PROXY#1', sk: 'X', n: 1 } }));
    remove();
    await client.send(new GetCommand({ TableName: table(), Key: { pk: 'PROXY#1', sk: 'X' } }));
    // Assess
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      action: 'PutItem',
      body: { TableName: table(), Item: { pk: { S: 'PROXY#1' }, sk: { S: 'X' }, n: { N: '1' } } },
      accessKeyId: identityOf('createToken').accessKeyId,
      functionId: 'createToken',
    });
  });

  it('sees the calls of the handlers behind the local API', async () => {
    const actions: string[] = [];
    const remove = app.storeProxy.use(async (call, next) => {
      actions.push(call.action);
      return next();
    });
    const r = await app.request('GET', '/v1/me', { jwt: await app.login('bob') });
    remove();
    expect(r.status).toBe(200);
    expect(actions).toContain('GetItem');
  });

  it("answers for the store in DynamoDB's error shape, which the SDK parses into the named error", async () => {
    const remove = app.storeProxy.use(async () => dynamoError(400, 'AccessDeniedException', 'User: x is not authorized to perform: dynamodb:GetItem'));
    const failure = await client.send(new GetCommand({ TableName: table(), Key: { pk: 'PROXY#1', sk: 'X' } })).catch((e: Error) => e);
    remove();
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe('AccessDeniedException');
    expect((failure as Error).message).toMatch(/not authorized/);
  });

  it('drops a connection without an answer when an interceptor says so', async () => {
    const remove = app.storeProxy.use(async () => DROP);
    const failure = await client.send(new GetCommand({ TableName: table(), Key: { pk: 'PROXY#1', sk: 'X' } })).catch((e: Error) => e);
    remove();
    expect(failure).toBeInstanceOf(Error);
    expect((await client.send(new GetCommand({ TableName: table(), Key: { pk: 'PROXY#1', sk: 'X' } }))).Item?.n).toBe(1);
  });

  it('holds a chosen call until released while other calls go through', async () => {
    // Prepare
    const faults = await installFaults();
    const held = faults.hold((call) => call.action === 'PutItem' && call.body.Item?.pk?.S === 'PROXY#held');
    // Act
    const write = client.send(new PutCommand({ TableName: table(), Item: { pk: 'PROXY#held', sk: 'X', n: 2 } }));
    await held.reached;
    const during = await client.send(new GetCommand({ TableName: table(), Key: { pk: 'PROXY#held', sk: 'X' } }));
    held.release();
    await write;
    const after = await client.send(new GetCommand({ TableName: table(), Key: { pk: 'PROXY#held', sk: 'X' } }));
    await faults.close();
    // Assess
    expect(during.Item).toBeUndefined();
    expect(after.Item?.n).toBe(2);
  });
});
