// GET /v1/audit
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { listActivity } from '../shared/domain/audit.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.listAudit, async ({ claims, query }) => listActivity(await requireTokenActor(claims), query));
