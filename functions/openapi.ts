// GET /v1/openapi.json: the OpenAPI 3.1 document, generated from the route table and schemas.
import { getConfig } from '../shared/config.ts';
import { openApiDocument } from '../shared/http/openapi.ts';
import { httpRoute } from '../shared/http/middleware.ts';
import { ROUTES } from '../shared/routes.ts';

getConfig();
const document = openApiDocument();

export const handler = httpRoute(ROUTES.openapi, async () => document);
