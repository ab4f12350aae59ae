// The OpenAPI 3.1 document, generated from the route table and the zod schemas (zod 4 emits
// JSON Schema draft 2020-12, which is OpenAPI 3.1's schema dialect).
import { z } from 'zod';
import { ROUTE_LIST } from '../routes.ts';
import { ErrorJson } from './schemas.ts';

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid input (VALIDATION)', 401: 'Missing or bad JWT', 403: 'FORBIDDEN, SSO_USER, PERMISSION_NOT_HELD or TOKEN_PRIVATE',
  404: 'NOT_FOUND', 409: 'CONFLICT', 413: 'Body larger than 64 KiB', 503: 'UNAVAILABLE: store failed, nothing written; retry',
};

const ref = (id: string) => `#/components/schemas/${id}`;

/** A named schema (meta id) becomes a $ref to components; an unnamed one is inlined. */
function schemaOf(s: z.ZodType, io: 'input' | 'output') {
  const id = z.globalRegistry.get(s)?.id;
  if (id) return { $ref: ref(id) };
  const { $schema: _, ...json } = z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });
  return json;
}

function components() {
  const { schemas } = z.toJSONSchema(z.globalRegistry, { target: 'draft-2020-12', unrepresentable: 'any', uri: ref });
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _, ...rest }]) => [id, rest]));
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTE_LIST.filter((x) => x.api === 'management')) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', r.params], ['query', r.query], ['header', r.headers]] as const) {
      if (!schema) continue;
      const json = schemaOf(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(json.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: s });
      }
    }
    const responses: Record<string, unknown> = {
      [r.success.status]: r.success.schema
        ? { description: r.summary, content: { 'application/json': { schema: schemaOf(r.success.schema, 'output') } } }
        : { description: r.summary },
    };
    for (const status of r.errors ?? []) {
      responses[status] = { description: STATUS_TEXT[status], content: { 'application/json': { schema: schemaOf(ErrorJson, 'output') } } };
    }
    paths[r.path] ??= {};
    paths[r.path][r.method.toLowerCase()] = {
      operationId: r.id,
      summary: r.summary,
      ...(r.auth === 'jwt' ? { security: [{ bearerJwt: [] }] } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(r.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Tessera management API', version: '1.0.0', description: 'API tokens: see docs/rules.md for the rules.' },
    components: { schemas: components(), securitySchemes: { bearerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
}
