// Builds the CDK app for one environment: shared by infra/app.ts (the CLI's entry),
// infra/synth-all.ts and test/infra, so all three synthesize exactly the same thing. Where the
// environment deploys the console page, the page is built first (esbuild, offline, ~30 ms).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './constructs/tessera-function.ts';
import { buildWeb, WEB_DIST } from '../web/build.ts';
import { OVERRIDABLE, resolveEnvironment, type TesseraEnvironment } from './environments.ts';
import { TesseraStack } from './tessera-stack.ts';

export interface BuildOptions {
  /** Environment name; default: the app's `env` context, else dev. */
  readonly env?: string;
  /** Extra context, as `-c key=value` would give. */
  readonly context?: Record<string, unknown>;
  readonly outdir?: string;
  /** Register cdk-nag's AwsSolutionsChecks as a validation plugin (on by default). */
  readonly nag?: boolean;
}

export interface Built {
  readonly app: App;
  readonly stack: TesseraStack;
  readonly config: TesseraEnvironment;
}

/** cdk.json's context (feature flags); the CLI passes it itself, an in-process App does not. */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}

export const stackName = (env: string) => `Tessera-${env}`;

export async function buildApp(options: BuildOptions = {}): Promise<Built> {
  const app = new App({
    outdir: options.outdir,
    context: { ...cdkJsonContext(), ...options.context, ...(options.env ? { env: options.env } : {}) },
  });
  const context = Object.fromEntries(['env', ...OVERRIDABLE].map((k) => [k, app.node.tryGetContext(k)]));
  const config = resolveEnvironment(context.env ?? 'dev', context);
  // Always rebuilt rather than trusted: a stale web/dist would deploy an old page without notice.
  if (config.consoleSite) await buildWeb();
  const stack = new TesseraStack(app, stackName(config.name), {
    config,
    consoleSiteDir: WEB_DIST,
    description: `Tessera (${config.name}): API tokens - management API, authorizer, lifecycle`,
    ...(config.account || config.region ? { env: { account: config.account, region: config.region } } : {}),
    tags: { service: 'tessera', environment: config.name },
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
