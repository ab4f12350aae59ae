// POST /v1/tokens
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { createToken } from '../shared/domain/tokens.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute({
  auth: 'jwt',
  body: ROUTES.createToken.body,
  headers: ROUTES.createToken.headers,
  run: async ({ claims, body, headers }) => ({
    status: 201,
    body: await createToken(await requireTokenActor(claims), body, headers['idempotency-key']),
  }),
});
