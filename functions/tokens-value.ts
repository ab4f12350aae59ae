// GET /v1/tokens/{id}/value
import { getConfig } from '../shared/config.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { revealValue } from '../shared/domain/tokens.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.tokenValue, async ({ claims, params }) => revealValue(await requireTokenActor(claims), params.id));
