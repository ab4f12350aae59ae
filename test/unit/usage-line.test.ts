// The authorizer's one line per invocation (shared/usage-line.ts): usage record and EMF metrics in
// one JSON line, and the subscription filter that selects it, matched locally as CloudWatch does.
import { FilterPattern } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { cloudWatchPattern } from '../../infra/log-patterns.ts';
import { matchesFilter, patternText, type JsonFilter } from '../../shared/log-filter.ts';
import { parseUsageLine, USAGE_FILTER, usageLine } from '../../shared/usage-line.ts';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

describe('usage line', () => {
  it('carries the token and the outcome, and in Lambda the metrics of the invocation', () => {
    // Act
    const allowed = JSON.parse(usageLine({ allowed: true, tokenId: 'tok_abc', latencyMs: 1.23456 }, NOW, true));
    const denied = JSON.parse(usageLine({ allowed: false, tokenId: 'tok_abc', reason: 'disabled', latencyMs: 2 }, NOW, true));
    const plain = JSON.parse(usageLine({ allowed: true, tokenId: 'tok_abc', latencyMs: 1 }, NOW, false));

    // Assess
    expect(allowed).toMatchObject({ event: 'verification', outcome: 'allowed', tokenId: 'tok_abc', service: 'tessera', Verified: 1, VerifyLatency: 1.235 });
    expect(allowed._aws).toEqual({
      Timestamp: NOW,
      CloudWatchMetrics: [{ Namespace: 'Tessera', Dimensions: [['service']], Metrics: [{ Name: 'Verified', Unit: 'Count' }, { Name: 'VerifyLatency', Unit: 'Milliseconds' }] }],
    });
    expect(denied).toMatchObject({ outcome: 'denied', reason: 'disabled', Denied: 1 });
    expect(denied._aws.CloudWatchMetrics.map((d: { Dimensions: string[][] }) => d.Dimensions)).toEqual([[['service']], [['service', 'reason']]]);
    expect(plain).toEqual({ event: 'verification', outcome: 'allowed', tokenId: 'tok_abc' });
  });

  it('leaves out a token id or reason that is not a plain word instead of escaping it', () => {
    const line = usageLine({ allowed: false, tokenId: 'tok_"}', reason: 'x"y', latencyMs: 0 }, NOW, false);
    expect(JSON.parse(line)).toEqual({ event: 'verification', outcome: 'denied', reason: 'unknown' });
  });

  it('reads back what it wrote, and nothing else', () => {
    expect(parseUsageLine(usageLine({ allowed: false, tokenId: 'tok_a', reason: 'mismatch', latencyMs: 0 }, NOW, true))).toEqual({ tokenId: 'tok_a', allowed: false, reason: 'mismatch' });
    expect(parseUsageLine('{"event":"verification","outcome":"allowed"}')).toBeUndefined();
    expect(parseUsageLine('{"event":"other","outcome":"allowed","tokenId":"tok_a"}')).toBeUndefined();
    expect(parseUsageLine('not json')).toBeUndefined();
  });
});

describe('subscription filter', () => {
  it('renders the pattern CDK deploys from the same definition', () => {
    expect(cloudWatchPattern(USAGE_FILTER).logPatternString).toBe(patternText(USAGE_FILTER));
    expect(patternText(USAGE_FILTER)).toBe(FilterPattern.all(FilterPattern.stringValue('$.event', '=', 'verification'), FilterPattern.exists('$.tokenId')).logPatternString);
  });

  it('selects the lines that name a token, as CloudWatch matches the pattern', () => {
    const line = (o: Parameters<typeof usageLine>[0]) => usageLine(o, NOW, true);
    expect(matchesFilter(USAGE_FILTER, line({ allowed: true, tokenId: 'tok_a', latencyMs: 1 }))).toBe(true);
    expect(matchesFilter(USAGE_FILTER, `${line({ allowed: false, tokenId: 'tok_a', reason: 'expired', latencyMs: 1 })}\n`)).toBe(true);
    expect(matchesFilter(USAGE_FILTER, line({ allowed: false, reason: 'malformed', latencyMs: 1 }))).toBe(false);
    expect(matchesFilter(USAGE_FILTER, '{"level":"INFO","message":"verification","tokenId":"tok_a"}')).toBe(false);
    expect(matchesFilter(USAGE_FILTER, 'START RequestId: 1 Version: $LATEST')).toBe(false);
    expect(matchesFilter(USAGE_FILTER, '[1,2]')).toBe(false);
  });

  it('treats * in a value as any run of characters, and compares strings only', () => {
    const f: JsonFilter = { name: 'f', all: [{ field: '$.a', equals: 'x*z' }] };
    expect(matchesFilter(f, '{"a":"xyz"}')).toBe(true);
    expect(matchesFilter(f, '{"a":"xz"}')).toBe(true);
    expect(matchesFilter(f, '{"a":"xy"}')).toBe(false);
    expect(matchesFilter({ name: 'n', all: [{ field: '$.a', equals: '1' }] }, '{"a":1}')).toBe(false);
  });
});
