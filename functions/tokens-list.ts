// GET /v1/tokens
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { listTokens } from '../shared/domain/tokens.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute({
  auth: 'jwt',
  query: ROUTES.listTokens.query,
  run: async ({ claims, query }) => ({ status: 200, body: await listTokens(await requireTokenActor(claims), query) }),
});
