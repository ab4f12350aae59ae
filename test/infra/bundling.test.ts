// The real bundles, built once for dev with the local esbuild (no Docker): one minified ESM
// file with a source map per function, which loads and answers in plain Node without AWS.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthEnv, sharedOutdir, type Synthesized } from './harness.ts';

describe('function bundles (dev)', () => {
  let s: Synthesized;
  const bundleOf = (id: string) => {
    const fn = s.stack.functions.get(id as never)!;
    const key = s.json.Resources[s.stack.getLogicalId(fn.fn.node.defaultChild as never)].Properties!.Code.S3Key as string;
    return join(sharedOutdir(), `asset.${key.replace(/\.zip$/, '')}`);
  };

  beforeAll(async () => {
    s = await synthEnv('dev', { bundle: true });
  }, 180_000);

  it('builds one ESM bundle with a source map per function', () => {
    expect(s.stack.functions.size).toBeGreaterThan(0);
    for (const id of s.stack.functions.keys()) {
      const dir = bundleOf(id);
      expect(existsSync(join(dir, 'index.mjs')), id).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map')), id).toBe(true);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __tesseraCreateRequire }'), id).toBe(true);
      expect(code, id).toMatch(/sourceMappingURL=index\.mjs\.map/);
    }
  });

  describe('loaded as Lambda would load them', () => {
    beforeAll(() => {
      Object.assign(process.env, {
        TESSERA_TABLE: 'tessera-bundle-test',
        TESSERA_JWT_ISSUER: 'https://auth.dev.example.com/',
        TESSERA_JWT_AUDIENCE: 'tessera-dev',
        TESSERA_KEY_SOURCE: 'kms:arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
        TESSERA_LOG_LEVEL: 'SILENT',
        AWS_REGION: 'us-east-1',
      });
    });

    const load = async (id: string) => (await import(pathToFileURL(join(bundleOf(id), 'index.mjs')).href)) as { handler: (...args: unknown[]) => Promise<any> };

    it('answers the health route', async () => {
      const { handler } = await load('health');
      const response = await handler({ version: '2.0', headers: {}, requestContext: { requestId: 'r-1' } }, { awsRequestId: 'r-1' });
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ status: 'ok' });
    });

    it('lets the authorizer refuse a malformed token before any store read', async () => {
      const { handler } = await load('authorizer');
      const response = await handler({ version: '2.0', type: 'REQUEST', routeKey: 'GET /example/whoami', headers: { authorization: 'Bearer not-a-token' } });
      expect(response).toEqual({ isAuthorized: false });
    });
  });
});
