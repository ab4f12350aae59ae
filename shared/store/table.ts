// The single table's shape, as data. CDK (infra/) and the local runtime (local/) both
// create the table from this definition, so the two can never drift apart. Its indexes are
// those the entities declare (shared/store/token-entity.ts).
import { TOKEN_INDEXES } from './token-entity.ts';

export interface IndexDefinition {
  /** Named for the access pattern it serves. */
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly purpose: string;
}

/** The activity log's indexes (shared/store/audit.ts). */
const AUDIT_INDEXES = [
  {
    name: 'auditByTenant',
    partitionKey: 'auditTenantPk',
    sortKey: 'auditSk',
    purpose: "a tenant's activity log, newest first (administrators)",
  },
  {
    name: 'auditByOwner',
    partitionKey: 'auditOwnerPk',
    sortKey: 'auditSk',
    purpose: "the activity log of one user's tokens, newest first (non-administrators)",
  },
] as const satisfies readonly IndexDefinition[];

export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL deletes the item some time after it (AWS: typically within 48 h). */
  ttlAttribute: 'ttl',
  indexes: [
    ...Object.values(TOKEN_INDEXES).map(({ name, partitionKey, sortKey, purpose }): IndexDefinition => ({ name, partitionKey, sortKey, purpose })),
    ...AUDIT_INDEXES,
  ],
} as const;

export type IndexName = keyof typeof TOKEN_INDEXES | (typeof AUDIT_INDEXES)[number]['name'];

/** Every key attribute is a string. */
export function keyAttributes(): string[] {
  const names = new Set<string>([TABLE.partitionKey, TABLE.sortKey]);
  for (const index of TABLE.indexes) {
    names.add(index.partitionKey);
    names.add(index.sortKey);
  }
  return [...names];
}

/** The CreateTable input that the local runtime uses; CDK builds the same from TABLE. */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: keyAttributes().map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: TABLE.indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}
