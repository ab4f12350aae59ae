// The token entity is declared once (shared/store/token-entity.ts): the record factory, the
// item mapping and the table's indexes all come from that declaration.
import { describe, expect, it } from 'vitest';
import { TokenJson } from '../../shared/http/schemas.ts';
import { TABLE } from '../../shared/store/table.ts';
import { fromItem, toItem } from '../../shared/store/items.ts';
import { newToken, TOKEN_ATTRIBUTES, TOKEN_INDEXES } from '../../shared/store/token-entity.ts';

const at = '2026-01-02T03:04:05.006Z';
const given = {
  id: 'tok_00000000000000001', tenantId: 'acme', ownerId: 'bob', ownerRef: 'ref', name: 't', visibility: 'private' as const,
  createdAt: at, updatedAt: at, hint: 'tsr_abcde',
};

describe('token entity', () => {
  it('gives a new record every declared attribute, defaults where the caller gave none', () => {
    const record = newToken(given);
    expect(Object.keys(record).sort()).toEqual(Object.keys(TOKEN_ATTRIBUTES).sort());
    expect(record).toMatchObject({ legacy: false, version: 1, description: null, permissions: null, expiresAt: null });
  });

  it('reads back what it wrote, with the keys of every index the record belongs to', () => {
    const record = newToken({ ...given, permissions: ['events:read'], expiresAt: '2026-02-01T00:00:00.000Z' });
    const item = toItem(record);
    expect(fromItem(item)).toEqual(record);
    for (const index of Object.values(TOKEN_INDEXES)) expect(item).toHaveProperty(index.partitionKey);
    expect(item).toMatchObject({ ownerPk: 'OWNER#ref', tenantPk: 'TENANT#acme', expiryPk: 'EXPIRY#2026-02-01' });
  });

  it('leaves a sparse index out where the record has no key for it', () => {
    const item = toItem(newToken(given));
    expect(item).not.toHaveProperty(TOKEN_INDEXES.byExpiryDay.partitionKey);
    expect(item).not.toHaveProperty('description');
  });

  it('shows no secret attribute in the token JSON, which takes its stored fields by the schema\'s names', () => {
    for (const secret of ['hash', 'prevHash', 'prevHashUntil', 'sealed', 'legacyUuid', 'legacySecretSha256'] as const) {
      expect(secret in TOKEN_ATTRIBUTES).toBe(true);
      expect(Object.keys(TokenJson.shape)).not.toContain(secret);
    }
  });

  it('is where the table takes its indexes from', () => {
    expect(TABLE.indexes.map((i) => i.name)).toEqual(expect.arrayContaining(Object.keys(TOKEN_INDEXES)));
  });
});
