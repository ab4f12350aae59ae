// POST /v1/leaks: GitHub's secret-scanning partner endpoint (no JWT; the report is signed).
import { getConfig } from '../shared/config.ts';
import { handleLeakReport } from '../shared/domain/leaks.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.reportLeaks, ({ body, headers }) => handleLeakReport(body, headers));
