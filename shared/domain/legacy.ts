// Legacy UUID+secret credentials (rules.md §1.11): one legacy token per UUID, idempotent by key
// (the token id is derived from the UUID). The old system's secrets arrive as SHA-256 hex.
import { z } from 'zod';
import { serviceNowIso } from '../config.ts';
import { logger } from '../log.ts';
import { ConditionFailed } from '../store/client.ts';
import { needs } from '../grants.ts';
import { LEGACY_STORE_NEEDS, legacyMarker, markLegacyImported } from '../store/legacy.ts';
import { newToken } from '../store/token-entity.ts';
import { getUser, USER_STORE_NEEDS } from '../store/users.ts';
import { AUDIT_OPERATION_NEEDS, recordActivity, systemActor } from './audit.ts';
import { legacyTokenId, ownerRefOf } from '../token-value.ts';
import { tokenBlocker } from './actor.ts';
import { insertFindable, settleWithOwner, USER_OPERATION_NEEDS } from './users.ts';

export const LegacyCredential = z.object({
  tenantId: z.string().min(1).max(128),
  userId: z.string().min(1).max(128),
  uuid: z.uuid(),
  secretSha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters'),
});

export const LegacyImportBody = z.object({ credentials: z.array(z.unknown()).max(10_000) });

/** importLegacy's store calls (shared/grants.ts). */
export const LEGACY_IMPORT_NEEDS = needs(
  USER_STORE_NEEDS.getUser, LEGACY_STORE_NEEDS.legacyMarker, USER_OPERATION_NEEDS.insertFindable,
  LEGACY_STORE_NEEDS.markLegacyImported,
  AUDIT_OPERATION_NEEDS.recordActivity, USER_OPERATION_NEEDS.settleWithOwner,
);

export type SkipReason = 'invalid' | 'unknown_user' | 'sso_user' | 'already_imported' | 'revoked';

export interface ImportReport {
  imported: number;
  skipped: { uuid: string | null; reason: SkipReason; detail?: string }[];
}

export async function importLegacy(records: unknown[]): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, skipped: [] };
  for (const raw of records) {
    const parsed = LegacyCredential.safeParse(raw);
    if (!parsed.success) {
      const uuid = typeof (raw as { uuid?: unknown })?.uuid === 'string' ? String((raw as { uuid: string }).uuid).slice(0, 64) : null;
      report.skipped.push({ uuid, reason: 'invalid', detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      continue;
    }
    const c = parsed.data;
    const user = await getUser(c.tenantId, c.userId, true);
    const blocker = tokenBlocker(user);
    if (!user || blocker === 'deleted') {
      report.skipped.push({ uuid: c.uuid, reason: 'unknown_user' });
      continue;
    }
    if (blocker === 'sso') {
      report.skipped.push({ uuid: c.uuid, reason: 'sso_user' });
      continue;
    }
    const uuid = c.uuid.toLowerCase();
    // A UUID once imported is never imported again: not after a delete, nor after TTL removed it.
    const marker = await legacyMarker(uuid);
    if (marker) {
      report.skipped.push({ uuid: c.uuid, reason: marker === 'revoked' ? 'revoked' : 'already_imported' });
      continue;
    }
    const at = serviceNowIso();
    const record = newToken({
      id: legacyTokenId(uuid),
      tenantId: c.tenantId,
      ownerId: c.userId,
      ownerRef: ownerRefOf(c.tenantId, c.userId),
      name: 'Legacy credential',
      description: 'Migrated UUID + secret credential',
      visibility: 'private',
      legacy: true,
      createdAt: at,
      updatedAt: at,
      // A disabled owner's tokens are disabled (§1.10); the import keeps that true.
      disabledAt: blocker === 'disabled' ? at : null,
      disabledReason: blocker === 'disabled' ? 'owner_disabled' : null,
      hint: `legacy-${uuid.slice(0, 8)}`,
      legacyUuid: uuid,
      legacySecretSha256: c.secretSha256.toLowerCase(),
    });
    try {
      await insertFindable(record);
      report.imported++;
      await recordActivity(record, { action: 'created', actor: systemActor('legacy_import'), at });
      // As a create does: an owner change recorded since the read above may have cascaded before
      // this token existed (shared/store/README.md, "Owner changes and concurrent writes").
      await settleWithOwner(record, user.version);
    } catch (e) {
      if (!(e instanceof ConditionFailed)) throw e;
      report.skipped.push({ uuid: c.uuid, reason: 'already_imported' });
    }
    // After the token, best effort: the import has happened either way, and a re-run (which finds
    // the token) writes a marker that is missing.
    await markLegacyImported(uuid, at).catch((error) =>
      logger.warn('legacy marker not written; re-run the import to write it', { uuid, error: error as Error }),
    );
  }
  return report;
}
