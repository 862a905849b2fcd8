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

/** The median and the range of a set of repetitions' values. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** How many finite values there were. */
  readonly n: number;
}

/** The middle value (the mean of the two middle ones for an even count); NaN when empty. Non-finite values are left out. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/** The spread of a summary as a share of its median: (max - min) / median; 0 for one value, NaN without any. */
export function relativeSpread(s: Summary): number {
  if (s.n === 0 || s.median === 0) return Number.NaN;
  return (s.max - s.min) / Math.abs(s.median);
}

/** Cost per unit of work: `cost / units`, NaN when there was no work (a cost with nothing done is no rate). */
export function perUnit(cost: number, units: number): number {
  return units > 0 && Number.isFinite(cost) ? cost / units : Number.NaN;
}

/** `items` started `by` places later, wrapping: each repetition runs the systems in another order. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
