// GET /v1/tokens/{id}
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { getTokenJson } from '../shared/domain/tokens.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.getToken, async ({ claims, params }) => getTokenJson(await requireTokenActor(claims), params.id));
