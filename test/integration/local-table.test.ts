// The local table from an older definition: a store kept on disk gets the indexes a newer
// definition declares, with its items kept.
import { CreateTableCommand, DynamoDBClient, DescribeTableCommand, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { expect, inject, it } from 'vitest';
import { ensureTable } from '../../local/table.ts';
import { createTableInput } from '../../shared/store/table.ts';
it('rebuilds a table that lacks an index of the definition, keeping its items, and leaves a current one alone', async () => {
  const endpoint = inject('storeEndpoint');
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const old = createTableInput('old-table2');
  old.GlobalSecondaryIndexes = old.GlobalSecondaryIndexes.slice(0, 3);
  old.AttributeDefinitions = old.AttributeDefinitions.filter((a) => !a.AttributeName.startsWith('audit'));
  await client.send(new CreateTableCommand(old));
  await client.send(new PutItemCommand({ TableName: 'old-table2', Item: { pk: { S: 'A' }, sk: { S: 'B' }, x: { N: '1' } } }));
  expect(await ensureTable(endpoint, 'old-table2')).toBe('rebuilt');
  const t = await client.send(new DescribeTableCommand({ TableName: 'old-table2' }));
  expect(t.Table!.GlobalSecondaryIndexes!.map((i) => i.IndexName).sort()).toEqual(createTableInput('x').GlobalSecondaryIndexes.map((i) => i.IndexName).sort());
  expect((await client.send(new GetItemCommand({ TableName: 'old-table2', Key: { pk: { S: 'A' }, sk: { S: 'B' } } }))).Item?.x).toEqual({ N: '1' });
  expect(await ensureTable(endpoint, 'old-table2')).toBe('exists');
});
