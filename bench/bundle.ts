// The authorizer as CDK deploys it: functions/authorizer.ts bundled by esbuild with the options
// every function construct uses (infra/bundling.ts, the same data CDK's bundling is built from),
// its size, and the time a fresh Node process takes to import it (a cold-start proxy).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { esbuildOptions, LAMBDA_BUNDLE } from '../infra/bundling.ts';
import { summarize, type Summary } from './harness.ts';

const ENTRY = 'functions/authorizer.ts';

export interface BundleResult {
  bytes: number;
  mapBytes: number;
  outfile: string;
  nodeOptions: string;
  /** Where the options came from, and what they were, for the report. */
  source: string;
  options: string;
  /** Largest inputs, in bytes of output, grouped by package. */
  largest: [string, number][];
}

function describe(): string {
  const o = LAMBDA_BUNDLE;
  return [
    `format=${o.format}`, `target=${o.target}`, `platform=${o.platform}`, o.minify ? 'minify' : 'no-minify',
    o.sourcemap ? `sourcemap${o.sourcesContent ? '' : ' (no sourcesContent)'}` : 'no-sourcemap',
    `mainFields=${o.mainFields.join(',')}`, `external=[${o.external.join(',')}]`, 'createRequire banner',
    ...Object.entries(o.alias).map(([from, to]) => `alias ${from}=${to}`),
    `NODE_OPTIONS=${o.nodeOptions}`,
  ].join(' ');
}

/** Bundles the authorizer exactly as CDK deploys it (infra/bundling.ts). */
export const buildAuthorizer = (outDir: string): Promise<BundleResult> => buildBundle(ENTRY, outDir);

/** Bundles any entry (relative to the repository root) with the options of every function. */
export async function buildBundle(entry: string, outDir: string): Promise<BundleResult> {
  mkdirSync(outDir, { recursive: true });
  const options = { ...esbuildOptions(entry, outDir), metafile: true, logLevel: 'error' as const };
  const result = await build(options);
  const outfile = options.outfile;
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
    nodeOptions: LAMBDA_BUNDLE.nodeOptions,
    source: 'infra/bundling.ts',
    options: describe(),
    largest: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8),
  };
}

/** What the Lambda environment gives the authorizer at cold start, without any network. */
export const INIT_ENV = {
  TESSERA_TABLE: 'tessera-bench',
  TESSERA_JWT_ISSUER: 'https://issuer.example/',
  TESSERA_JWT_AUDIENCE: 'tessera',
  TESSERA_KEY_SOURCE: 'kms:alias/tessera',
  TESSERA_MAC_KEYS: 'kms:alias/tessera-mac',
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
 * Whole processes, as Lambda starts one: `node probe.mjs <bundle>` (which imports the bundle) against
 * `node -e ''`, alternated, `runs` each after a warm-up; the ratio of the medians is the figure.
 */
export function measureProcesses(outfile: string, runs = 15, nodeOptions?: string): { bundle: Summary; bare: Summary; ratio: number } {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...INIT_ENV, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
  const file = join(mkdtempSync(join(tmpdir(), 'tessera-probe-')), 'import.mjs');
  writeFileSync(file, 'await import(process.argv[2]);\n');
  const time = (args: string[]) => {
    const t0 = performance.now();
    const out = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
    if (out.status !== 0) throw new Error(`process failed: ${args.join(' ')}`);
    return performance.now() - t0;
  };
  time(['-e', '']);
  time([file, outfile]);
  const bundle: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(time(['-e', '']));
    bundle.push(time([file, outfile]));
  }
  const b = summarize(bundle);
  const n = summarize(bare);
  return { bundle: b, bare: n, ratio: b.median / n.median };
}

/**
 * Invokes the bundle once as Lambda would configure it: credentials from the environment, the
 * store named by AWS_ENDPOINT_URL_DYNAMODB (so the SDK's credential provider is exercised).
 */
export function invokeBundle(outfile: string, storeEndpoint: string, table: string, event: unknown, macKeys: string): unknown {
  // The MAC keys of the seed (a local key ring), so the value's tag is checked without KMS.
  return probe(outfile, { ...INIT_ENV, TESSERA_TABLE: table, TESSERA_MAC_KEYS: macKeys, AWS_ENDPOINT_URL_DYNAMODB: storeEndpoint }, event).result;
}
