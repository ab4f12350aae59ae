// The local IAM's decision (local/iam.ts): the policy CDK writes from a grant, evaluated as IAM
// evaluates identity policies, refusing in AWS's own error shape.
import { describe, expect, it } from 'vitest';
import { accessOf } from '../../infra/access.ts';
import { authorize, createLocalIam, decide, dynamoCalls, type Principal } from '../../local/iam.ts';
import { queryNeed, tableNeed, valueKeyNeed } from '../../shared/grants.ts';

const arns = {
  table: 'arn:aws:dynamodb:us-east-1:000000000000:table/t',
  valueKey: 'arn:aws:kms:us-east-1:000000000000:key/k',
  bus: 'arn:aws:events:us-east-1:000000000000:event-bus/b',
  macKeys: ['arn:aws:kms:us-east-1:000000000000:key/m'],
};
const principal = (access = accessOf([tableNeed('GetItem')], [queryNeed('byOwner')], [valueKeyNeed('Decrypt')])): Principal => ({
  functionId: 'deleteToken', functionName: 'tessera-dev-deleteToken', roleName: 'tessera-deleteToken-role', access,
});

describe('local IAM decision', () => {
  it('allows exactly the granted action on the table', () => {
    expect(decide(principal(), arns, { action: 'dynamodb:GetItem', resource: arns.table })).toEqual({ allow: true });
    expect(decide(principal(), arns, { action: 'dynamodb:GetItem', resource: `${arns.table}x` }).allow).toBe(false);
  });

  it("refuses with AWS's AccessDeniedException: status 400 and its message form", () => {
    const d = decide(principal(), arns, { action: 'dynamodb:PutItem', resource: arns.table });
    expect(d).toEqual({
      allow: false,
      reply: {
        status: 400,
        body: {
          __type: 'com.amazon.coral.service#AccessDeniedException',
          message:
            'User: arn:aws:sts::000000000000:assumed-role/tessera-deleteToken-role/tessera-dev-deleteToken is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/t because no identity-based policy allows the dynamodb:PutItem action',
        },
      },
    });
  });

  it('authorizes a Query on the index ARN it names, never on the table', () => {
    const [query] = dynamoCalls('Query', { TableName: 't', IndexName: 'byOwner' }, 'us-east-1');
    expect(query.resource).toBe(`${arns.table}/index/byOwner`);
    expect(decide(principal(), arns, query).allow).toBe(true);
    expect(decide(principal(), arns, dynamoCalls('Query', { TableName: 't', IndexName: 'byTenant' }, 'us-east-1')[0]).allow).toBe(false);
    expect(decide(principal(), arns, dynamoCalls('Query', { TableName: 't' }, 'us-east-1')[0]).allow).toBe(false);
  });

  it('authorizes BatchGetItem once per table it reads', () => {
    expect(dynamoCalls('BatchGetItem', { RequestItems: { t: {}, u: {} } }, 'us-east-1').map((c) => c.resource)).toEqual([
      arns.table, 'arn:aws:dynamodb:us-east-1:000000000000:table/u',
    ]);
  });

  it('requires the encryption context the key grant names', () => {
    const call = (purpose?: string) => ({ action: 'kms:Decrypt', resource: arns.valueKey, context: (purpose ? { 'kms:EncryptionContext:purpose': purpose } : {}) as Record<string, string> });
    expect(decide(principal(), arns, call('tessera-token-value')).allow).toBe(true);
    expect(decide(principal(), arns, call('other')).allow).toBe(false);
    expect(decide(principal(), arns, call()).allow).toBe(false);
    const refused = decide(principal(), arns, call('other'));
    expect(!refused.allow && refused.reply.body.__type).toBe('AccessDeniedException');
  });

  it('refuses an access key it does not know, and lets the runtime itself through', () => {
    const iam = createLocalIam({ region: 'us-east-1', arns, grants: { me: accessOf([tableNeed('GetItem')]) }, unrestricted: ['local-runtime'] });
    const get = [{ action: 'dynamodb:GetItem', resource: arns.table }];
    const put = [{ action: 'dynamodb:PutItem', resource: arns.table }];
    expect(authorize(iam, 'dynamodb', undefined, undefined, get)).toMatchObject({ allow: false, reply: { body: { __type: 'com.amazon.coral.service#UnrecognizedClientException' } } });
    expect(authorize(iam, 'dynamodb', 'AKID', 'local-runtime', put)).toEqual({ allow: true });
    expect(authorize(iam, 'dynamodb', 'AKID', 'me', get)).toEqual({ allow: true });
    expect(authorize(iam, 'dynamodb', 'AKID', 'me', put).allow).toBe(false);
    expect(iam.refusals).toEqual([{ functionId: 'me', action: 'dynamodb:PutItem', resource: arns.table }]);
  });
});
