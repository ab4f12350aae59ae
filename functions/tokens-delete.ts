// DELETE /v1/tokens/{id}
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { deleteToken } from '../shared/domain/tokens.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.deleteToken, async ({ claims, params }) => deleteToken(await requireTokenActor(claims), params.id));
