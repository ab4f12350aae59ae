// Custom metrics of the management functions as CloudWatch EMF through Powertools Metrics, in
// Lambda only (locally the same calls are no-ops, so the embedded default's console stays
// readable). The authorizer writes its metrics in its one line per invocation instead
// (shared/usage-line.ts), without Powertools Metrics in its bundle.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const enabled = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);
const metrics = enabled ? new Metrics({ namespace: 'Tessera', serviceName: 'tessera' }) : undefined;
// One single-metric emitter per container: each addMetric() writes its EMF line at once and clears
// the dimensions added for it. A singleMetric() per call built a new Metrics (and a Console) every
// time, about 65 us, which was most of a cached verification in Lambda (BENCHMARKS.md).
const single = metrics?.singleMetric();

export function count(name: string, dimensions: Record<string, string> = {}): void {
  if (!single) return;
  for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
  single.addMetric(name, MetricUnit.Count, 1);
}

export function latency(name: string, ms: number): void {
  single?.addMetric(name, MetricUnit.Milliseconds, ms);
}
