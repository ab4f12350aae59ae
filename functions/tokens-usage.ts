// GET /v1/tokens/{id}/usage
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { tokenUsage } from '../shared/domain/usage.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute({
  auth: 'jwt',
  params: ROUTES.tokenUsage.params,
  query: ROUTES.tokenUsage.query,
  run: async ({ claims, params, query }) => ({ status: 200, body: await tokenUsage(await requireTokenActor(claims), params.id, query.days) }),
});
