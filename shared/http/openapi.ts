// The OpenAPI 3.1 document, generated from the route table and the zod schemas (zod 4 emits
// JSON Schema draft 2020-12, which is OpenAPI 3.1's schema dialect).
import { z } from 'zod';
import { codesFor } from '../errors.ts';
import { ROUTE_LIST } from '../routes.ts';
import { ErrorJson } from './schemas.ts';

/** What a code alone does not say. */
const STATUS_NOTE: Record<number, string> = {
  401: "a missing or bad credential (on JWT routes API Gateway's JWT authorizer answers this with its own body)",
  413: 'a body larger than 64 KiB',
  503: 'the store failed, nothing was written; retry after Retry-After',
};

/** An error response: the codes of the one error map that answer with this status, as an enum. */
function errorResponseOf(status: number) {
  const codes = codesFor(status);
  const note = STATUS_NOTE[status];
  return {
    description: [codes.join(', '), note].filter(Boolean).join(': '),
    content: {
      'application/json': {
        schema: { allOf: [schemaOf(ErrorJson, 'output'), { properties: { error: { properties: { code: { enum: codes } } } } }] },
      },
    },
  };
}

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
  const errorStatuses = new Set<number>();
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
      errorStatuses.add(status);
      responses[status] = { $ref: `#/components/responses/Error${status}` };
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
    components: {
      schemas: components(),
      responses: Object.fromEntries([...errorStatuses].sort((a, b) => a - b).map((s) => [`Error${s}`, errorResponseOf(s)])),
      securitySchemes: { bearerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    paths,
  };
}
