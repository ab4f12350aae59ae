// `npm run synth`: synthesizes every environment into cdk.out/<env>, offline, in one process
// (bundles are built once and reused across environments; the console page is built where an
// environment deploys it). cdk-nag runs on each; a finding that is not acknowledged fails the run.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from './build.ts';
import { REPO_ROOT } from './constructs/tessera-function.ts';
import { ENVIRONMENT_NAMES } from './environments.ts';

process.env.CDK_DISABLE_CLI_TELEMETRY ??= 'true';

for (const env of ENVIRONMENT_NAMES) {
  const outdir = join(REPO_ROOT, 'cdk.out', env);
  rmSync(outdir, { recursive: true, force: true });
  const started = performance.now();
  const { app, stack } = await buildApp({ env, outdir });
  app.synth();
  console.log(`${env}: ${stack.stackName} -> ${join('cdk.out', env, stack.templateFile)} (${Math.round(performance.now() - started)} ms)`);
}
