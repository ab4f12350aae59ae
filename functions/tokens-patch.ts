// PATCH /v1/tokens/{id}
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { patchToken } from '../shared/domain/tokens.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute({
  auth: 'jwt',
  params: ROUTES.patchToken.params,
  body: ROUTES.patchToken.body,
  run: async ({ claims, params, body }) => ({ status: 200, body: await patchToken(await requireTokenActor(claims), params.id, body) }),
});
