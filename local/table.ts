// Creates the table from the shared definition if it is missing (CDK creates it in AWS). A table
// kept on disk from an older definition that lacks an index is rebuilt with its items, as a
// CloudFormation update adds the GSI to the deployed table (dynalite cannot add one in place).
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../shared/store/table.ts';
import { identityOf, LOCAL_RUNTIME } from './identities.ts';

/** Waits until a deleted table is gone (dynalite, like DynamoDB, deletes asynchronously). */
async function gone(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (e) {
      if ((e as Error).name === 'ResourceNotFoundException') return;
      throw e;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`table ${tableName} was not deleted`);
}

/** Waits until a created table is ACTIVE: writes to a table still being created are refused. */
async function active(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`table ${tableName} did not become active`);
}

export async function ensureTable(endpoint: string, tableName: string): Promise<'created' | 'exists' | 'rebuilt'> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: identityOf(LOCAL_RUNTIME) });
  const wanted = createTableInput(tableName);
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    if (wanted.GlobalSecondaryIndexes.every((i) => present.has(i.IndexName))) return 'exists';
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    await gone(client, tableName);
    await client.send(new CreateTableCommand(wanted));
    await active(client, tableName);
    for (let i = 0; i < items.length; i += 25) {
      let batch: Record<string, { PutRequest: { Item: Record<string, AttributeValue> } }[]> | undefined = {
        [tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
      };
      while (batch && Object.keys(batch).length > 0) {
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: batch }));
        batch = out.UnprocessedItems as typeof batch;
      }
    }
    return 'rebuilt';
  } catch (e) {
    if ((e as Error).name !== 'ResourceNotFoundException') throw e;
    await client.send(new CreateTableCommand(wanted));
    return 'created';
  } finally {
    client.destroy();
  }
}
