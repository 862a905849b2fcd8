/**
 * When growth is a leak and when it is noise. A process's resident memory moves by itself (the garbage collector
 * runs when it likes, the allocator keeps freed pages, buffers grow to a high-water mark once), so memory is
 * allowed a fixed amount plus a share of where it started; descriptors do not move by themselves, so they are
 * allowed only a few (a lazily opened file, say). Dividing the allowance by the number of connections gives the
 * smallest leak per connection a run can see.
 */

export interface GrowthBound {
  /** Growth always allowed, in the measured unit. */
  readonly absolute: number;
  /** Growth allowed as a share of the value before (0.1 = 10 %). */
  readonly relative: number;
}

export interface GrowthVerdict {
  readonly before: number;
  readonly after: number;
  readonly growth: number;
  /** The most growth allowed. */
  readonly limit: number;
  readonly pass: boolean;
}

export const RSS_BOUND: GrowthBound = { absolute: 16 * 1024, relative: 0.1 };
export const FD_BOUND: GrowthBound = { absolute: 4, relative: 0 };

export function growthLimit(before: number, bound: GrowthBound): number {
  return bound.absolute + Math.max(0, before) * bound.relative;
}

/** A value that could not be read (NaN) never passes. */
export function judgeGrowth(before: number, after: number, bound: GrowthBound): GrowthVerdict {
  const growth = after - before;
  const limit = growthLimit(before, bound);
  return { before, after, growth, limit, pass: Number.isFinite(growth) && growth <= limit };
}

/** The smallest steady leak per connection that `connections` of them would push past the limit. */
export function detectableLeakPerConnection(before: number, bound: GrowthBound, connections: number): number {
  return connections > 0 ? growthLimit(before, bound) / connections : Number.POSITIVE_INFINITY;
}

export interface PlateauVerdict {
  /** Peak of the first half of the samples, and of the second. */
  readonly firstHalfPeak: number;
  readonly secondHalfPeak: number;
  /** How much higher the second half went than the first. */
  readonly lateGrowth: number;
  readonly pass: boolean;
}

/**
 * Memory under a load that does not change plateaus: whatever it needs it takes early, and the second half of the
 * samples goes no higher than the first half did, give or take `tolerance`. Fewer than four samples cannot show
 * a plateau.
 */
export function judgePlateau(samples: readonly number[], tolerance: number): PlateauVerdict {
  const values = samples.filter(Number.isFinite);
  const half = Math.floor(values.length / 2);
  const firstHalfPeak = Math.max(...values.slice(0, half));
  const secondHalfPeak = Math.max(...values.slice(half));
  const lateGrowth = secondHalfPeak - firstHalfPeak;
  return { firstHalfPeak, secondHalfPeak, lateGrowth, pass: values.length >= 4 && lateGrowth <= tolerance };
}
