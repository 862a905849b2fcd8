/** Summary statistics for latency samples. */

/** The nearest-rank percentile (p in 0..100) of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0] as number;
  // The epsilon keeps binary rounding (0.999 × 10000 = 9990.000000000002) from moving the rank up by one.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** Sorts a copy and returns the requested percentiles in order. */
export function percentiles(samples: readonly number[], ps: readonly number[]): number[] {
  const sorted = Float64Array.from(samples).sort();
  const arr = Array.from(sorted);
  return ps.map((p) => percentile(arr, p));
}
