// GET /v1/tokens/{id}/usage
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { tokenUsage } from '../shared/domain/usage.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.tokenUsage, async ({ claims, params, query }) =>
  tokenUsage(await requireTokenActor(claims), params.id, query.days),
);
