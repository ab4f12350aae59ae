// cdk-nag 3 acknowledgements go through CDK's own Validations API; this wrapper insists on a
// reason that says why the finding is acceptable for this resource, not merely that it is.
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (!/^AwsSolutions-[A-Z0-9]+(\[.+\])?$/.test(id)) throw new Error(`not a cdk-nag AwsSolutions rule id: ${id}`);
  if (reason.trim().length < 40) throw new Error(`acknowledging ${id} needs a specific reason, got "${reason}"`);
  Validations.of(scope).acknowledge({ id, reason });
}
