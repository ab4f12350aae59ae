// POST /v1/tokens
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { createToken } from '../shared/domain/tokens.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.createToken, async ({ claims, body, headers }) =>
  createToken(await requireTokenActor(claims), body, headers['idempotency-key']),
);
