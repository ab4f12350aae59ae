// The authorizer as CDK deploys it: functions/authorizer.ts bundled by esbuild with the options
// of the function construct (infra/constructs/tessera-function.ts), its size, and the time a
// fresh Node process takes to import it (a cold-start proxy).
import { build, type BuildOptions } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { summarize, type Summary } from './harness.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CONSTRUCT = join(ROOT, 'infra/constructs/tessera-function.ts');
const ENTRY = join(ROOT, 'functions/authorizer.ts');

export interface BundleResult {
  bytes: number;
  mapBytes: number;
  outfile: string;
  nodeOptions?: string;
  /** Where the options came from, and what they were, for the report. */
  source: string;
  options: string;
  /** Largest inputs, in bytes of output, grouped by package. */
  largest: [string, number][];
}

interface CdkBundling {
  minify: boolean;
  sourceMap: boolean;
  sourcesContent: boolean;
  target: string;
  format: 'esm' | 'cjs';
  mainFields?: string[];
  banner?: string;
  externalModules: string[];
  keepNames: boolean;
  /** NODE_OPTIONS the construct sets in the function's environment (it changes the import time). */
  nodeOptions?: string;
}

/** The fallback the brief fixes while the construct does not exist. */
const FALLBACK: CdkBundling = {
  minify: true, sourceMap: true, sourcesContent: true, target: 'node22', format: 'esm', externalModules: [], keepNames: false,
};

/**
 * Reads the bundling options out of the construct's source, so the benchmark follows the
 * construct when it changes. The construct is plain CDK (NodejsFunction `bundling: {...}`); only
 * the options that change esbuild's output, and NODE_OPTIONS, are read.
 */
export function constructBundling(): { options: CdkBundling; source: string } {
  if (!existsSync(CONSTRUCT)) return { options: FALLBACK, source: 'fallback: minify + ESM + node22 (no construct yet)' };
  const text = readFileSync(CONSTRUCT, 'utf8');
  const bool = (name: string) => text.match(new RegExp(`\\b${name}\\s*:\\s*(true|false)\\b`))?.[1];
  const quoted = (name: string) => text.match(new RegExp(`\\b${name}\\s*[:=]\\s*(['"\`])(.*?)\\1`))?.[2];
  /** A string option given inline or through a module constant. */
  const str = (name: string) => {
    const direct = quoted(name);
    if (direct !== undefined) return direct;
    const ident = text.match(new RegExp(`\\b${name}\\s*:\\s*([A-Za-z_$][\\w$]*)\\s*[,}\\n]`))?.[1];
    return ident ? quoted(ident) : undefined;
  };
  const list = (name: string) => {
    const m = text.match(new RegExp(`\\b${name}\\s*:\\s*\\[([^\\]]*)\\]`));
    return m ? [...m[1].matchAll(/['"`]([^'"`]+)['"`]/g)].map((x) => x[1]) : undefined;
  };
  const externals = list('externalModules');
  const options: CdkBundling = {
    minify: bool('minify') === 'true',
    sourceMap: bool('sourceMap') === 'true',
    sourcesContent: bool('sourcesContent') !== 'false',
    target: str('target') ?? 'node22',
    format: /OutputFormat\.ESM/.test(text) ? 'esm' : 'cjs',
    mainFields: list('mainFields'),
    banner: str('banner'),
    // NodejsFunction leaves @aws-sdk/* out on Node 18+ unless told otherwise.
    externalModules: externals ?? (bool('bundleAwsSDK') === 'true' ? [] : ['@aws-sdk/*']),
    keepNames: bool('keepNames') === 'true',
    nodeOptions: str('NODE_OPTIONS'),
  };
  return { options, source: 'infra/constructs/tessera-function.ts' };
}

function describe(o: CdkBundling): string {
  return [
    `format=${o.format}`, `target=${o.target}`, 'platform=node', o.minify ? 'minify' : 'no-minify',
    o.sourceMap ? `sourcemap${o.sourcesContent ? '' : ' (no sourcesContent)'}` : 'no-sourcemap',
    `mainFields=${o.mainFields?.join(',') ?? 'default(main,module)'}`, `external=[${o.externalModules.join(',')}]`,
    ...(o.banner ? ['createRequire banner'] : []), ...(o.keepNames ? ['keepNames'] : []),
    ...(o.nodeOptions ? [`NODE_OPTIONS=${o.nodeOptions}`] : []),
  ].join(' ');
}

const CREDENTIALS_STUB = join(ROOT, 'bench/lambda-credentials.ts');

/**
 * Bundles the authorizer with the construct's options. `withoutCredentialChain` is a what-if, not
 * what CDK deploys: the SDK's default credential chain aliased to the environment-only provider.
 */
export async function buildAuthorizer(outDir: string, withoutCredentialChain = false): Promise<BundleResult> {
  const { options: o, source } = constructBundling();
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, o.format === 'esm' ? 'index.mjs' : 'index.js');
  const esbuildOptions: BuildOptions = {
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    target: o.target,
    format: o.format,
    outfile,
    minify: o.minify,
    sourcemap: o.sourceMap,
    sourcesContent: o.sourcesContent,
    external: o.externalModules,
    keepNames: o.keepNames,
    metafile: true,
    logLevel: 'error',
    ...(o.mainFields ? { mainFields: o.mainFields } : {}),
    ...(o.banner ? { banner: { js: o.banner } } : {}),
    ...(withoutCredentialChain ? { alias: { '@aws-sdk/credential-provider-node': CREDENTIALS_STUB } } : {}),
  };
  const result = await build(esbuildOptions);
  const output = result.metafile!.outputs[Object.keys(result.metafile!.outputs).find((k) => !k.endsWith('.map'))!];
  const byPackage = new Map<string, number>();
  for (const [file, input] of Object.entries(output.inputs)) {
    const m = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const key = m ? m[1] : file.split('/')[0];
    byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
  }
  return {
    bytes: statSync(outfile).size,
    mapBytes: existsSync(`${outfile}.map`) ? statSync(`${outfile}.map`).size : 0,
    outfile,
    nodeOptions: o.nodeOptions,
    source,
    options: describe(o),
    largest: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8),
  };
}

/** What the Lambda environment gives the authorizer at cold start, without any network. */
export const INIT_ENV = {
  TESSERA_TABLE: 'tessera-bench',
  TESSERA_JWT_ISSUER: 'https://issuer.example/',
  TESSERA_JWT_AUDIENCE: 'tessera',
  TESSERA_KEY_SOURCE: 'kms:alias/tessera',
  TESSERA_ROUTE_PERMISSIONS: '{"GET /example/events":["events:read"]}',
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'tessera-authorizer',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SESSION_TOKEN: 'local',
  // Node 20 here, nodejs22.x in Lambda: no end-of-support notice there.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

// Plain Node, no tsx: imports the bundle, timing the import, then optionally invokes the handler.
const PROBE = [
  'const t0 = performance.now();',
  'const { handler } = await import(process.argv[2]);',
  'const importMs = performance.now() - t0;',
  'const result = process.argv[3] ? await handler(JSON.parse(process.argv[3])) : undefined;',
  "process.stderr.write('\\nPROBE ' + JSON.stringify({ importMs, result }));",
  'process.exit(0);',
].join('\n');

function probe(outfile: string, env: Record<string, string>, event?: unknown): { importMs: number; result?: unknown } {
  const file = join(mkdtempSync(join(tmpdir(), 'tessera-probe-')), 'probe.mjs');
  writeFileSync(file, PROBE);
  const args = [file, outfile, ...(event === undefined ? [] : [JSON.stringify(event)])];
  // EMF metric lines go to stdout, the probe's answer to stderr.
  const out = spawnSync(process.execPath, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`bundle probe failed: ${out.stderr}`);
  return JSON.parse(out.stderr.slice(out.stderr.lastIndexOf('\nPROBE ') + 7));
}

/** Median of `runs` fresh processes, each timing `await import(bundle)` (a first run warms the file cache). */
export function measureInit(outfile: string, runs = 10, nodeOptions?: string): Summary {
  const env = { ...INIT_ENV, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
  probe(outfile, env);
  return summarize(Array.from({ length: runs }, () => probe(outfile, env).importMs));
}

/**
 * Invokes the bundle once as Lambda would configure it: credentials from the environment, the
 * store named by AWS_ENDPOINT_URL_DYNAMODB (so the SDK's credential provider is exercised).
 */
export function invokeBundle(outfile: string, storeEndpoint: string, table: string, event: unknown): unknown {
  return probe(outfile, { ...INIT_ENV, TESSERA_TABLE: table, AWS_ENDPOINT_URL_DYNAMODB: storeEndpoint }, event).result;
}
