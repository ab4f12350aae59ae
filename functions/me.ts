// GET /v1/me: the caller's user record and what they may grant; tells SSO users why they have no tokens.
import { getConfig } from '../shared/config.ts';
import { describeMe } from '../shared/domain/me.ts';
import { httpRoute } from '../shared/http/middleware.ts';

getConfig();

export const handler = httpRoute({
  auth: 'jwt',
  run: async ({ claims }) => ({ status: 200, body: await describeMe(claims) }),
});
