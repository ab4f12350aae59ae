// The real bundles, built once for dev with the local esbuild (no Docker): one minified ESM
// file with a source map per function, which loads and answers in plain Node without AWS. The
// options come from infra/bundling.ts, which bench/bundle.ts builds with too: the authorizer
// built through esbuild's JS API must be byte for byte the one CDK stages, and neither may carry
// the SDK's default credential chain (Lambda hands out credentials in environment variables).
import { build, type Metafile } from 'esbuild';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions, LAMBDA_BUNDLE } from '../../infra/bundling.ts';
import { newId } from '../../shared/ids.ts';
import { mintUntaggedValue } from '../../shared/token-value.ts';
import { synthEnv, sharedOutdir, type Synthesized } from './harness.ts';

/** Packages of the SDK's default Node credential chain, none of which a Lambda bundle needs. */
const DEFAULT_CHAIN = /node_modules\/(@aws-sdk\/credential-provider-(node|ini|sso|process|web-identity|http)|@smithy\/credential-provider-imds|@aws-sdk\/nested-clients|@aws-sdk\/token-providers)\//;
/** Text only the default chain puts in a bundle (its links' environment variables and messages). */
const DEFAULT_CHAIN_TEXT = ['defaultProvider::fromIni', 'credential_process', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];

/** The byte budget (BENCHMARKS.md) for the authorizer bundle (index.mjs, source map not counted). */
const AUTHORIZER_BUDGET_BYTES = 60_000;

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
        TESSERA_MAC_KEYS: 'kms:arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111',
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

  describe('credentials', () => {
    let metafile: Metafile;
    let helperBundle: Buffer;

    beforeAll(async () => {
      const options = esbuildOptions('functions/authorizer.ts', mkdtempSync(join(tmpdir(), 'tessera-bundle-')));
      metafile = (await build({ ...options, metafile: true, logLevel: 'error' })).metafile!;
      helperBundle = readFileSync(options.outfile);
    }, 60_000);

    it('builds the authorizer through esbuild\'s JS API exactly as CDK does (what bench/bundle.ts measures)', () => {
      const staged = readFileSync(join(bundleOf('authorizer'), LAMBDA_BUNDLE.outfile));
      expect(helperBundle.length).toBe(staged.length);
      expect(helperBundle.equals(staged)).toBe(true);
    });

    it('keeps the authorizer bundle within its byte budget', () => {
      expect(readFileSync(join(bundleOf('authorizer'), LAMBDA_BUNDLE.outfile)).length).toBeLessThanOrEqual(AUTHORIZER_BUDGET_BYTES);
    });

    it('reads through its light client with environment credentials, without SDK v3 or its credential chain', () => {
      const inputs = Object.keys(metafile.inputs);
      expect(inputs).toContain('shared/store/transport-light.ts');
      expect(inputs.filter((f) => /node_modules\/(@aws-sdk\/(client-dynamodb|lib-dynamodb)|@smithy\/core)\//.test(f))).toEqual([]);
      expect(inputs.filter((f) => DEFAULT_CHAIN.test(f))).toEqual([]);
    });

    it('leaves the default chain out of every function CDK bundles', () => {
      for (const id of s.stack.functions.keys()) {
        const code = readFileSync(join(bundleOf(id), LAMBDA_BUNDLE.outfile), 'utf8');
        for (const text of DEFAULT_CHAIN_TEXT) expect(code.includes(text), `${id}: ${text}`).toBe(false);
      }
    });

    it('signs the authorizer\'s store reads with the credentials Lambda puts in the environment', async () => {
      // A stand-in DynamoDB endpoint that records who signed each request and finds no items.
      const seen: IncomingHttpHeaders[] = [];
      const server = createServer((req, res) => {
        seen.push(req.headers);
        req.resume().on('end', () => {
          const batch = String(req.headers['x-amz-target']).endsWith('.BatchGetItem');
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(batch ? { Responses: { 'tessera-bundle-test': [] }, UnprocessedKeys: {} } : {}));
        });
      });
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      try {
        const dir = mkdtempSync(join(tmpdir(), 'tessera-creds-'));
        const probe = join(dir, 'probe.mjs');
        writeFileSync(probe, [
          'const { handler } = await import(process.argv[2]);',
          'const result = await handler(JSON.parse(process.argv[3]));',
          "process.stderr.write('\\nPROBE ' + JSON.stringify(result));",
        ].join('\n'));
        const event = { version: '2.0', type: 'REQUEST', routeKey: 'GET /example/whoami', headers: { authorization: `Bearer ${mintUntaggedValue(newId('token'), 't-1', 'u-1')}` } };
        const stderr = await new Promise<string>((ok, fail) => {
          // Plain Node with only what Lambda would give: no profile, an empty HOME.
          const child = spawn(process.execPath, [probe, pathToFileURL(join(bundleOf('authorizer'), LAMBDA_BUNDLE.outfile)).href, JSON.stringify(event)], {
            env: {
              PATH: process.env.PATH ?? '',
              HOME: dir,
              NODE_OPTIONS: LAMBDA_BUNDLE.nodeOptions,
              TESSERA_TABLE: 'tessera-bundle-test',
              TESSERA_JWT_ISSUER: 'https://auth.dev.example.com/',
              TESSERA_JWT_AUDIENCE: 'tessera-dev',
              TESSERA_KEY_SOURCE: 'kms:arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
              TESSERA_MAC_KEYS: 'kms:arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111',
              TESSERA_LOG_LEVEL: 'SILENT',
              TESSERA_SDK_MAX_ATTEMPTS: '1',
              AWS_REGION: 'us-east-1',
              AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
              AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
              AWS_SECRET_ACCESS_KEY: 'bundle-test-secret',
              AWS_SESSION_TOKEN: 'bundle-test-session',
              AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let err = '';
          child.stderr.on('data', (chunk) => (err += chunk));
          child.on('error', fail);
          child.on('close', (code) => (code === 0 ? ok(err) : fail(new Error(`authorizer bundle exited ${code}: ${err}`))));
        });
        expect(JSON.parse(stderr.slice(stderr.lastIndexOf('\nPROBE ') + 7))).toEqual({ isAuthorized: false });
        expect(seen.length).toBeGreaterThan(0);
        for (const headers of seen) {
          expect(headers.authorization).toMatch(/Credential=AKIDBUNDLETEST\//);
          expect(headers['x-amz-security-token']).toBe('bundle-test-session');
        }
      } finally {
        await new Promise((done) => server.close(done));
      }
    });
  });
});
