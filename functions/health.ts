// GET /v1/health: liveness, no auth.
import { getConfig } from '../shared/config.ts';
import { httpRoute } from '../shared/http/middleware.ts';

getConfig();

export const handler = httpRoute({
  auth: 'none',
  run: async () => ({ status: 200, body: { status: 'ok', time: new Date(getConfig().clock.now()).toISOString() } }),
});
