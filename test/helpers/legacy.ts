// Legacy credentials as the old system hands them over (rules.md §1.11): the secret only as
// SHA-256 hex, imported through POST /_local/legacy-import; plus a fresh active user to own them.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { sha256Hex } from '../../shared/token-value.ts';
import type { TestApp } from './app.ts';

export function legacyCredential(userId: string, tenantId = 'acme') {
  const uuid = randomUUID();
  const secret = randomBytes(24).toString('base64url');
  return { uuid, secret, record: { tenantId, userId, uuid, secretSha256: sha256Hex(secret) } };
}

export const importRecords = (app: TestApp, credentials: unknown[]) => app.request('POST', '/_local/legacy-import', { body: { credentials } });

/** A new active password user of acme; returns their JWT. */
export async function newUser(app: TestApp, userId: string, role = 'analyst'): Promise<string> {
  const r = await app.userEvent('UserChanged', { tenantId: 'acme', userId, version: 1, role, status: 'active', authMethod: 'password' });
  expect(r.status).toBe(200);
  return app.login(userId);
}
