// The single table, built from shared/store/table.ts TABLE (keys, GSIs, TTL attribute) so the
// deployed table and the local one can never drift apart. On-demand, PITR, and in prod a
// customer-managed key, deletion protection and RETAIN. A stream of old images carries the TTL
// process's deletions to the activity log (functions/ttl-removals.ts).
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE } from '../../shared/store/table.ts';
import type { TesseraEnvironment } from '../environments.ts';
import { tesseraKey } from './keys.ts';

export class TokenTable extends Construct {
  readonly table: Table;
  /** The table's customer-managed key, when the environment asks for one. */
  readonly key?: IKey;

  constructor(scope: Construct, id: string, env: TesseraEnvironment) {
    super(scope, id);
    const retain = env.removalPolicy === 'retain';
    if (env.tableCustomerManagedKey) {
      this.key = tesseraKey(this, 'Key', { description: `Tessera ${env.name}: table encryption at rest`, alias: `alias/tessera/${env.name}/table`, retain });
    }
    const string = (name: string) => ({ name, type: AttributeType.STRING });
    this.table = new Table(this, 'Table', {
      partitionKey: string(TABLE.partitionKey),
      sortKey: string(TABLE.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE.ttlAttribute,
      stream: StreamViewType.OLD_IMAGE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: env.pointInTimeRecovery },
      deletionProtection: env.deletionProtection,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      ...(this.key ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: this.key } : { encryption: TableEncryption.DEFAULT }),
    });
    for (const index of TABLE.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: string(index.partitionKey),
        sortKey: string(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }
  }
}
