// The access table: one entry per function, and nothing a function's code path does not use.
import { describe, expect, it } from 'vitest';
import { ACCESS, NO_ACCESS, grantableActions } from '../../infra/access.ts';
import { JOBS, ROUTE_LIST } from '../../shared/routes.ts';
import { TABLE } from '../../shared/store/table.ts';

describe('access table', () => {
  it('has exactly one entry per route and per job', () => {
    const ids = [...ROUTE_LIST.map((r) => r.id), ...Object.keys(JOBS)].sort();
    expect(Object.keys(ACCESS).sort()).toEqual(ids);
  });

  it('queries only indexes that the table defines', () => {
    const indexes = TABLE.indexes.map((i) => i.name) as string[];
    for (const a of Object.values(ACCESS)) for (const q of a.query) expect(indexes).toContain(q);
  });

  it('gives public and example routes no store, key or bus access', () => {
    for (const id of ['health', 'openapi', 'exampleWhoami', 'exampleEvents'] as const) expect(ACCESS[id]).toEqual(NO_ACCESS);
  });

  it('lets only create and renew seal values, and only the value route and their replays open them', () => {
    const with_ = (action: 'GenerateDataKey' | 'Decrypt') => Object.entries(ACCESS).filter(([, a]) => a.valueKey.includes(action)).map(([id]) => id).sort();
    expect(with_('GenerateDataKey')).toEqual(['createToken', 'renewToken']);
    // create and renew unseal the first answer's value when an Idempotency-Key is replayed.
    expect(with_('Decrypt')).toEqual(['createToken', 'renewToken', 'tokenValue']);
  });

  it('lets only the routes that mint values or cursors derive MAC keys', () => {
    expect(Object.entries(ACCESS).filter(([, a]) => a.macKey).map(([id]) => id).sort()).toEqual(['createToken', 'listAudit', 'listTokens', 'renewToken']);
  });

  it('keeps the authorizer to reads', () => {
    expect(grantableActions(ACCESS.authorizer).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
  });

  it('lets the usage function update items and nothing else', () => {
    expect(grantableActions(ACCESS.usage)).toEqual(['dynamodb:UpdateItem']);
  });

  it('grants the listed actions per function', () => {
    expect(grantableActions(ACCESS.listTokens).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'kms:GenerateMac']);
    expect(grantableActions(ACCESS.userEvents).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'events:PutEvents']);
    expect(grantableActions(ACCESS.expiryNotices).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'events:PutEvents']);
    expect(grantableActions(ACCESS.deleteToken).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'events:PutEvents']);
    expect(grantableActions(ACCESS.listAudit).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'kms:GenerateMac']);
    expect(ACCESS.listAudit.query).toEqual(['auditByOwner', 'auditByTenant']);
    expect(grantableActions(ACCESS.ttlRemovals)).toEqual(['dynamodb:PutItem']);
    expect(grantableActions(ACCESS.reportLeaks).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'events:PutEvents']);
  });
});
