// The OpenAPI document is generated, never edited: docs/openapi.json must match the code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../shared/errors.ts';
import { openApiDocument } from '../../shared/http/openapi.ts';
import { ROUTE_LIST } from '../../shared/routes.ts';

describe('OpenAPI document', () => {
  const doc = openApiDocument();

  it('is what docs/openapi.json holds (run npm run openapi after changing a route or schema)', () => {
    const file = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'openapi.json'), 'utf8'));
    expect(file).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('has one operation per management route of the route table, and no example routes', () => {
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    const expected = ROUTE_LIST.filter((r) => r.api === 'management').map((r) => `${r.method} ${r.path}`);
    expect(ops.sort()).toEqual(expected.sort());
  });

  it('declares the JWT security scheme on every authenticated route', () => {
    for (const r of ROUTE_LIST.filter((x) => x.api === 'management')) {
      const op = (doc.paths[r.path] as Record<string, { security: unknown[] }>)[r.method.toLowerCase()];
      expect(op.security).toEqual(r.auth === 'jwt' ? [{ bearerJwt: [] }] : []);
    }
  });

  it("gives every error response the enum of the error map's codes for its status", () => {
    const json = JSON.parse(JSON.stringify(doc)) as any;
    expect(json.components.schemas.Error.properties.error.properties.code.enum).toEqual(Object.keys(ERROR_STATUS));
    const statuses = new Set(ROUTE_LIST.flatMap((r) => (r.api === 'management' ? (r.errors ?? []) : [])));
    for (const status of statuses) {
      const response = json.components.responses[`Error${status}`];
      const codes = Object.entries(ERROR_STATUS).filter(([, s]) => s === status).map(([c]) => c);
      expect(response.content['application/json'].schema.allOf[1]).toEqual({ properties: { error: { properties: { code: { enum: codes } } } } });
      expect(response.description).toContain(codes.join(', '));
    }
  });
});
