// Custom metrics (shared/metrics.ts) in Lambda: one CloudWatch EMF line per metric, written at
// once, carrying the dimensions given for that metric and no others.
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

async function emitted(act: (m: typeof import('../../shared/metrics.ts')) => void): Promise<Record<string, any>[]> {
  vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'tessera-test');
  vi.resetModules();
  const m = await import('../../shared/metrics.ts');
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  act(m);
  vi.mocked(process.stdout.write).mockRestore();
  return lines.join('').trim().split('\n').map((l) => JSON.parse(l));
}

describe('metrics in Lambda', () => {
  it('writes one EMF line per metric with only its own dimensions', async () => {
    const docs = await emitted((m) => {
      m.count('Denied', { reason: 'mismatch' });
      m.latency('VerifyLatency', 1.5);
      m.count('Verified');
      m.count('Denied', { reason: 'unknown' });
    });
    expect(docs.map((d) => d._aws.CloudWatchMetrics[0].Dimensions[0])).toEqual([
      ['service', 'reason'],
      ['service'],
      ['service'],
      ['service', 'reason'],
    ]);
    expect(docs.map((d) => d.reason)).toEqual(['mismatch', undefined, undefined, 'unknown']);
    expect(docs[1]).toMatchObject({ service: 'tessera', VerifyLatency: 1.5 });
    expect(docs[2]).toMatchObject({ service: 'tessera', Verified: 1 });
    expect(docs.every((d) => d._aws.CloudWatchMetrics[0].Namespace === 'Tessera')).toBe(true);
  });
});
