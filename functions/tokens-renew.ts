// POST /v1/tokens/{id}/renew
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { renewToken } from '../shared/domain/tokens.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.renewToken, async ({ claims, params, body, headers }) =>
  renewToken(await requireTokenActor(claims), params.id, body, headers['idempotency-key']),
);
