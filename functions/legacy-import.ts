// Operator job (invoked directly): import legacy UUID+secret credentials (rules.md §1.11).
// Input {credentials: [{tenantId, userId, uuid, secretSha256}]}; output {imported, skipped}.
import { getConfig } from '../shared/config.ts';
import { LegacyImportBody, importLegacy } from '../shared/domain/legacy.ts';
import { ValidationError } from '../shared/errors.ts';
import { logger } from '../shared/log.ts';

getConfig();

export async function handler(input: unknown) {
  const parsed = LegacyImportBody.safeParse(input);
  if (!parsed.success) throw new ValidationError('Expected {credentials: [...]} with at most 10000 records.');
  const report = await importLegacy(parsed.data.credentials);
  logger.info('legacy import', { imported: report.imported, skipped: report.skipped.length });
  return report;
}
