/** The repetitions of a run folded into one row per measurement: the median, with the range and the count. */
import { summarize } from '../stats.js';
import type { Row } from './types.js';

/**
 * One row per (scenario, system, metric), in the order the samples first name them: the median of their values,
 * with min, max and n. Non-finite values (a rate with nothing measured) are left out of the median; a measurement
 * with none left is dropped.
 */
export function aggregate(samples: readonly Row[]): Row[] {
  const groups = new Map<string, { first: Row; values: number[] }>();
  for (const s of samples) {
    const key = `${s.scenario}\u0000${s.system}\u0000${s.metric}`;
    const group = groups.get(key);
    if (group) group.values.push(s.value);
    else groups.set(key, { first: s, values: [s.value] });
  }
  const out: Row[] = [];
  for (const { first, values } of groups.values()) {
    const s = summarize(values);
    if (s.n === 0) continue;
    out.push({ scenario: first.scenario, system: first.system, metric: first.metric, unit: first.unit, value: s.median, min: s.min, max: s.max, n: s.n });
  }
  return out;
}
