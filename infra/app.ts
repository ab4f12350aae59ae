// The CDK app (cdk.json "app"): one Tessera stack for `-c env=<dev|staging|prod>` (default dev),
// checked by cdk-nag's AwsSolutions rules on every synth.
import { buildApp } from './build.ts';
import { EnvironmentError } from './environments.ts';

try {
  (await buildApp()).app.synth();
} catch (error) {
  // A configuration mistake deserves its message, not a stack trace.
  if (!(error instanceof EnvironmentError)) throw error;
  console.error(`\n${error.message}\n`);
  process.exit(1);
}
