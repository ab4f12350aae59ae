// Timing helpers for the benchmark: rounds after a warm-up, closed-loop concurrency, and the
// min / median / max summary every figure is reported with.

export interface Summary {
  min: number;
  median: number;
  max: number;
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { min: sorted[0], median: percentile(sorted, 50), max: sorted[sorted.length - 1], samples };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Throughput {
  opsPerSec: number;
  /** CPU time of this process per operation (user + system), in microseconds. */
  cpuUsPerOp: number;
}

/**
 * Runs `total` operations with at most `concurrency` in flight (each worker starts the next
 * operation as soon as its previous one ends). `op(i)` gets a distinct index 0..total-1.
 */
export async function closedLoop(total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<Throughput> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < total; i = next++) await op(i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { opsPerSec: total / seconds, cpuUsPerOp: (used.user + used.system) / total };
}

/** Sequential operations, each timed: latencies in ms, ascending. */
export async function latencies(total: number, op: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = new Array(total);
  for (let i = 0; i < total; i++) {
    const t0 = performance.now();
    await op(i);
    out[i] = performance.now() - t0;
  }
  return out.sort((a, b) => a - b);
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : String(n);

/** Prints one progress line to stderr, so stdout stays the table and the JSON line. */
export const progress = (text: string): void => {
  process.stderr.write(`[bench] ${text}\n`);
};
