// PATCH /v1/tokens/{id}
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { patchToken } from '../shared/domain/tokens.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.patchToken, async ({ claims, params, body }) =>
  patchToken(await requireTokenActor(claims), params.id, body),
);
