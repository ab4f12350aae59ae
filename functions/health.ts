// GET /v1/health: liveness, no auth.
import { getConfig, serviceNowIso } from '../shared/config.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.health, async () => ({ status: 'ok', time: serviceNowIso() }));
