// Custom metrics as CloudWatch EMF through Powertools Metrics, in Lambda only (locally the
// same calls are no-ops, so the embedded default's console stays readable).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const enabled = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);
const metrics = enabled ? new Metrics({ namespace: 'Tessera', serviceName: 'tessera' }) : undefined;

export function count(name: string, dimensions: Record<string, string> = {}): void {
  if (!metrics) return;
  const single = metrics.singleMetric();
  for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
  single.addMetric(name, MetricUnit.Count, 1);
}

export function latency(name: string, ms: number): void {
  if (!metrics) return;
  metrics.singleMetric().addMetric(name, MetricUnit.Milliseconds, ms);
}
