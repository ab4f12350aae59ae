// The authorizer's one structured line per invocation: the outcome of a verification with the
// token it concerned. It is both the usage record (a CloudWatch Logs subscription delivers the
// lines that match USAGE_FILTER to functions/usage.ts) and, in Lambda, the invocation's
// CloudWatch EMF metrics (Verified, or Denied by reason, and VerifyLatency), so a verification
// writes nothing to the store and at most one line to its log.
//
// Built by hand rather than with Powertools Metrics: one line costs a string concatenation here,
// against ~10 µs and ~40 KB of bundle there (BENCHMARKS.md).
import type { Decision } from './decision.ts';
import type { JsonFilter } from './log-filter.ts';

export const METRICS_NAMESPACE = 'Tessera';
export const METRICS_SERVICE = 'tessera';
/** The value of the line's `event` field. */
export const USAGE_EVENT = 'verification';

/** Lines that name a token: the only ones usage can count. */
export const USAGE_FILTER: JsonFilter = {
  name: 'tessera-usage',
  all: [
    { field: '$.event', equals: USAGE_EVENT },
    { field: '$.tokenId', equals: '*' },
  ],
};

export interface Outcome {
  /** Set when the credential named a stored token (acceptances, and refusals of a known token). */
  tokenId?: string;
  allowed: boolean;
  /** Why it was refused; a word of [a-z_]. */
  reason?: string;
  latencyMs: number;
}

/** The outcome of a decision, for its line. */
export const outcomeOf = (d: Decision, latencyMs: number): Outcome =>
  d.allow ? { allowed: true, tokenId: d.grant.tokenId, latencyMs } : { allowed: false, tokenId: d.tokenId, reason: d.reason, latencyMs };

/** The parsed line, as functions/usage.ts reads it. */
export interface UsageRecord {
  tokenId: string;
  allowed: boolean;
  reason?: string;
}

// In Lambda (AWS_LAMBDA_FUNCTION_NAME is set by its runtime) lines go to stdout, which Lambda
// sends to the function's log group, and carry EMF metrics. Elsewhere they go to the sink a
// runtime installed (the embedded default forwards them as CloudWatch Logs would), or nowhere.
const inLambda = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);
let sink: ((line: string) => void) | undefined = inLambda ? (line) => void process.stdout.write(`${line}\n`) : undefined;

/** For a runtime that hosts handlers in its own process; undefined restores the default. Returns the previous sink. */
export function setLogLineSink(next: ((line: string) => void) | undefined): ((line: string) => void) | undefined {
  const previous = sink;
  sink = next ?? (inLambda ? (line) => void process.stdout.write(`${line}\n`) : undefined);
  return previous;
}

const DIRECTIVE_VERIFIED = `{"Namespace":"${METRICS_NAMESPACE}","Dimensions":[["service"]],"Metrics":[{"Name":"Verified","Unit":"Count"},{"Name":"VerifyLatency","Unit":"Milliseconds"}]}`;
const DIRECTIVE_LATENCY = `{"Namespace":"${METRICS_NAMESPACE}","Dimensions":[["service"]],"Metrics":[{"Name":"VerifyLatency","Unit":"Milliseconds"}]}`;
const DIRECTIVE_DENIED = `{"Namespace":"${METRICS_NAMESPACE}","Dimensions":[["service","reason"]],"Metrics":[{"Name":"Denied","Unit":"Count"}]}`;
const SAFE = /^[0-9A-Za-z_-]{1,64}$/;

/** The line for one invocation; `emf` adds the metric directive CloudWatch extracts. */
export function usageLine(o: Outcome, nowMs: number, emf: boolean): string {
  // Ids and reasons come from our own code; anything else is left out rather than escaped.
  const token = o.tokenId && SAFE.test(o.tokenId) ? `,"tokenId":"${o.tokenId}"` : '';
  const reason = !o.allowed && o.reason && SAFE.test(o.reason) ? o.reason : 'unknown';
  const latency = Math.round(o.latencyMs * 1000) / 1000;
  let line = `{"event":"${USAGE_EVENT}","outcome":"${o.allowed ? 'allowed' : 'denied'}"${o.allowed ? '' : `,"reason":"${reason}"`}${token}`;
  if (emf) {
    const directives = o.allowed ? DIRECTIVE_VERIFIED : `${DIRECTIVE_LATENCY},${DIRECTIVE_DENIED}`;
    line += `,"service":"${METRICS_SERVICE}","${o.allowed ? 'Verified' : 'Denied'}":1,"VerifyLatency":${latency},"_aws":{"Timestamp":${nowMs},"CloudWatchMetrics":[${directives}]}`;
  }
  return `${line}}`;
}

/** Writes the invocation's line (synchronously: nothing is left running after the answer). */
export function emitUsage(o: Outcome, nowMs: number): void {
  sink?.(usageLine(o, nowMs, inLambda));
}

/** Reads a delivered line back; undefined for anything that is not one of ours. */
export function parseUsageLine(message: string): UsageRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v.event !== USAGE_EVENT || typeof v.tokenId !== 'string' || !SAFE.test(v.tokenId)) return undefined;
  if (v.outcome === 'allowed') return { tokenId: v.tokenId, allowed: true };
  if (v.outcome === 'denied' && typeof v.reason === 'string' && SAFE.test(v.reason)) return { tokenId: v.tokenId, allowed: false, reason: v.reason };
  return undefined;
}
