// CloudWatch Logs filter patterns for CDK, built from the shared definitions (shared/log-filter.ts)
// that the local runtime matches with, so what is deployed and what is emulated are one object.
import { FilterPattern, type IFilterPattern } from 'aws-cdk-lib/aws-logs';
import type { JsonFilter } from '../shared/log-filter.ts';

export function cloudWatchPattern(filter: JsonFilter): IFilterPattern {
  return FilterPattern.all(
    ...filter.all.map((c) => (c.equals === '*' ? FilterPattern.exists(c.field) : FilterPattern.stringValue(c.field, '=', c.equals))),
  );
}
