// GET /v1/me: the caller's user record and what they may grant; tells SSO users why they have no tokens.
import { getConfig } from '../shared/config.ts';
import { describeMe } from '../shared/domain/me.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();

export const handler = httpRoute(ROUTES.me, ({ claims }) => describeMe(claims));
