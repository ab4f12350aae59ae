// CloudWatch Logs JSON filter patterns as data: one definition that CDK deploys (rendered with
// aws-logs' FilterPattern in infra/) and that the local runtime matches log lines against, with
// CloudWatch's semantics for the subset used here (docs/rules.md and the README, "Usage").
//
// A pattern is a conjunction of string comparisons on top-level fields of a JSON log event:
// `{ ($.a = "x") && ($.b = "*") }`. A value may contain `*` (any run of characters); "*" alone
// matches any value the field has, as FilterPattern.exists() renders it. A line that is not a
// JSON object matches no JSON pattern.

export interface JsonCondition {
  /** A top-level field, `$.name`. */
  readonly field: `$.${string}`;
  /** The string to compare with; `*` matches any run of characters, "*" alone any value. */
  readonly equals: string;
}

export interface JsonFilter {
  /** What CloudWatch calls the subscription filter (filterName). */
  readonly name: string;
  readonly all: readonly JsonCondition[];
}

/** The pattern text CloudWatch stores, as CDK's FilterPattern.all(...) renders it. */
export function patternText(filter: JsonFilter): string {
  return `{ ${filter.all.map((c) => `(${c.field} = ${JSON.stringify(c.equals)})`).join(' && ')} }`;
}

const globs = new Map<string, RegExp>();
function glob(text: string): RegExp {
  let re = globs.get(text);
  if (!re) {
    re = new RegExp(`^${text.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
    globs.set(text, re);
  }
  return re;
}

function conditionHolds(event: Record<string, unknown>, c: JsonCondition): boolean {
  const value = event[c.field.slice(2)];
  if (value === undefined) return false;
  if (c.equals === '*') return true;
  return typeof value === 'string' && glob(c.equals).test(value);
}

/** Whether CloudWatch would deliver this log event through the filter. */
export function matchesFilter(filter: JsonFilter, message: string): boolean {
  const text = message.trim();
  if (!text.startsWith('{')) return false;
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return false;
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return false;
  return filter.all.every((c) => conditionHolds(event as Record<string, unknown>, c));
}
