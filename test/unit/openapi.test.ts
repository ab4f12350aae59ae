// The OpenAPI document is generated, never edited: docs/openapi.json must match the code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
