// How every Tessera function is bundled, in one place: the esbuild options as plain data
// (LAMBDA_BUNDLE), the CDK NodejsFunction bundling built from them (cdkBundling, used by
// infra/constructs/tessera-function.ts), and the same build for esbuild's JS API
// (esbuildOptions, used by bench/bundle.ts and test/infra/bundling.test.ts), so what the benchmark
// measures is byte for byte what CDK deploys.
import { AssetStaging } from 'aws-cdk-lib';
import { LogLevel, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Node's ESM output has no `require`; bundled CommonJS dependencies still call it. */
export const ESM_REQUIRE_BANNER = "import { createRequire as __tesseraCreateRequire } from 'node:module';const require = __tesseraCreateRequire(import.meta.url);";

/**
 * Module replacements. Paths are relative to REPO_ROOT, written with `./`: esbuild resolves an
 * alias target in its working directory, which is REPO_ROOT for CDK's local bundling (projectRoot)
 * and for esbuildOptions (absWorkingDir), and /asset-input in Docker (cdkBundling).
 */
export const LAMBDA_ALIASES: Readonly<Record<string, string>> = {
  // The SDK's default Node credential chain -> environment variables only: see the module.
  '@aws-sdk/credential-provider-node': './infra/lambda-credentials.ts',
};

/** The esbuild options of every function bundle, and the NODE_OPTIONS its environment sets. */
export const LAMBDA_BUNDLE = {
  format: 'esm',
  platform: 'node',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  /** Bundle the SDK (pinned by package-lock.json, the versions the tests ran against); nothing external. */
  bundleAwsSDK: true,
  external: [] as string[],
  alias: LAMBDA_ALIASES,
  /** CDK names the output index.mjs for ESM. */
  outfile: 'index.mjs',
  /** Set in every function's environment; it changes the import time, so the benchmark sets it too. */
  nodeOptions: '--enable-source-maps',
} as const;

/** The `bundling` of a NodejsFunction, built from LAMBDA_BUNDLE. */
export function cdkBundling(): BundlingOptions {
  const b = LAMBDA_BUNDLE;
  return {
    format: b.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
    target: b.target,
    mainFields: [...b.mainFields],
    banner: b.banner,
    minify: b.minify,
    sourceMap: b.sourcemap,
    sourceMapMode: SourceMapMode.DEFAULT,
    sourcesContent: b.sourcesContent,
    bundleAwsSDK: b.bundleAwsSDK,
    externalModules: [...b.external],
    // NodejsFunction renders `--alias:<name>` keys as `--alias:<name>=<value>` (esbuild's CLI form)
    // and runs esbuild without a shell, in projectRoot, when bundling locally.
    esbuildArgs: Object.fromEntries(Object.entries(b.alias).map(([from, to]) => [`--alias:${from}`, to])),
    // Only used if bundling falls back to Docker: run esbuild where the project is mounted, so
    // the relative alias targets resolve there too.
    workingDirectory: AssetStaging.BUNDLING_INPUT_DIR,
    forceDockerBundling: false,
    logLevel: LogLevel.WARNING,
  };
}

/**
 * The build CDK runs for `entry` (relative to REPO_ROOT), for esbuild's JS API, writing
 * `<outdir>/index.mjs` and its source map. Add `metafile: true` for the inputs.
 */
export function esbuildOptions(entry: string, outdir: string): BuildOptions & { outfile: string } {
  const b = LAMBDA_BUNDLE;
  return {
    absWorkingDir: REPO_ROOT,
    entryPoints: [join(REPO_ROOT, entry)],
    outfile: join(outdir, b.outfile),
    bundle: true,
    platform: b.platform,
    format: b.format,
    target: b.target,
    mainFields: [...b.mainFields],
    banner: { js: b.banner },
    minify: b.minify,
    sourcemap: b.sourcemap,
    sourcesContent: b.sourcesContent,
    external: [...b.external],
    alias: { ...b.alias },
    logLevel: 'warning',
  };
}
