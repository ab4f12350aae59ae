// Token usage (README, "Usage"): counted from the authorizer's log lines, never on the verify path.
// A CloudWatch Logs subscription delivers batches of lines (shared/usage-line.ts) to
// functions/usage.ts; each batch becomes, per token, at most one lastUsedAt write (conditional:
// only if newer by a minute) and one counter write per day it touches. Delivery is at least
// once: a batch redelivered after a failure can count twice, never lose a count.
import { getConfig } from '../config.ts';
import type { CloudWatchLogsDecodedData } from '../cloudwatch-logs.ts';
import { needs } from '../grants.ts';
import { TOKEN_STORE_NEEDS, touchLastUsed } from '../store/tokens.ts';
import { addDayCounts, readDays, USAGE_STORE_NEEDS, type DayCounts } from '../store/usage.ts';
import { parseUsageLine } from '../usage-line.ts';
import type { Actor } from './actor.ts';
import { TOKEN_OPERATION_NEEDS, visibleToken } from './tokens.ts';

/** The store calls of each operation (shared/grants.ts). */
export const USAGE_OPERATION_NEEDS = {
  recordUsage: needs(TOKEN_STORE_NEEDS.touchLastUsed, USAGE_STORE_NEEDS.addDayCounts),
  tokenUsage: needs(TOKEN_OPERATION_NEEDS.visibleToken, USAGE_STORE_NEEDS.readDays),
} as const;

/** lastUsedAt moves at most once a minute per token. */
export const LAST_USED_INTERVAL_MS = 60_000;
const WRITE_CONCURRENCY = 16;
const DAY_MS = 86_400_000;

export interface TokenTally {
  /** The latest accepted use in the batch, ms since the epoch. */
  lastUsedMs?: number;
  days: Map<string, DayCounts>;
}

/** Per token: the latest use and the counts per UTC day, from one delivered batch. */
export function tally(batch: CloudWatchLogsDecodedData): Map<string, TokenTally> {
  const tokens = new Map<string, TokenTally>();
  for (const logEvent of batch.logEvents) {
    const record = parseUsageLine(logEvent.message);
    if (!record || !Number.isFinite(logEvent.timestamp)) continue;
    let t = tokens.get(record.tokenId);
    if (!t) tokens.set(record.tokenId, (t = { days: new Map() }));
    const day = new Date(logEvent.timestamp).toISOString().slice(0, 10);
    let counts = t.days.get(day);
    if (!counts) t.days.set(day, (counts = { verified: 0, denied: {} }));
    if (record.allowed) {
      counts.verified++;
      t.lastUsedMs = Math.max(t.lastUsedMs ?? 0, logEvent.timestamp);
    } else {
      counts.denied[record.reason!] = (counts.denied[record.reason!] ?? 0) + 1;
    }
  }
  return tokens;
}

export interface UsageReport {
  tokens: number;
  lastUsedWrites: number;
  dayWrites: number;
}

/** Records one delivered batch. Store failures propagate, so the delivery is retried. */
export async function recordUsage(batch: CloudWatchLogsDecodedData): Promise<UsageReport> {
  const writes: (() => Promise<unknown>)[] = [];
  const report: UsageReport = { tokens: 0, lastUsedWrites: 0, dayWrites: 0 };
  for (const [tokenId, t] of tally(batch)) {
    report.tokens++;
    if (t.lastUsedMs !== undefined) {
      const at = t.lastUsedMs;
      writes.push(async () => {
        if (await touchLastUsed(tokenId, at, LAST_USED_INTERVAL_MS)) report.lastUsedWrites++;
      });
    }
    for (const [day, counts] of t.days) {
      writes.push(async () => {
        await addDayCounts(tokenId, day, counts);
        report.dayWrites++;
      });
    }
  }
  for (let i = 0; i < writes.length; i += WRITE_CONCURRENCY) await Promise.all(writes.slice(i, i + WRITE_CONCURRENCY).map((w) => w()));
  return report;
}

export interface UsageJson {
  tokenId: string;
  lastUsedAt: string | null;
  days: { date: string; verified: number; denied: number }[];
}

/** GET /v1/tokens/{id}/usage: the last `days` UTC days, today included, oldest first, zeros filled. */
export async function tokenUsage(actor: Actor, id: string, days: number): Promise<UsageJson> {
  const token = await visibleToken(actor, id);
  const today = Math.floor(getConfig().clock.now() / DAY_MS) * DAY_MS;
  const dates = Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
  const counted = await readDays(token.id, dates[0], dates[dates.length - 1]);
  return {
    tokenId: token.id,
    lastUsedAt: token.lastUsedAt,
    days: dates.map((date) => ({ date, verified: counted.get(date)?.verified ?? 0, denied: counted.get(date)?.denied ?? 0 })),
  };
}
