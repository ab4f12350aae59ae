// POST /v1/leaks: GitHub's secret-scanning partner endpoint (no JWT; the report is signed).
import { getConfig } from '../shared/config.ts';
import { handleLeakReport } from '../shared/domain/leaks.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { MAX_LEAK_REPORT_BYTES } from '../shared/http/schemas.ts';

getConfig();

export const handler = httpRoute({
  auth: 'none',
  rawBody: { maxBytes: MAX_LEAK_REPORT_BYTES },
  run: async ({ body, headers }) => ({ status: 200, body: await handleLeakReport(body as Buffer, headers) }),
});
