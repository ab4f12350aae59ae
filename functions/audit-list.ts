// GET /v1/audit
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { listActivity } from '../shared/domain/audit.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute({
  auth: 'jwt',
  query: ROUTES.listAudit.query,
  run: async ({ claims, query }) => ({ status: 200, body: await listActivity(await requireTokenActor(claims), query) }),
});
