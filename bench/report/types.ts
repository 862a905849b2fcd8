/** One measurement: the unit of the JSON results, the Markdown table and the chart. */
export interface Row {
  readonly scenario: string;
  readonly system: string;
  readonly metric: string;
  /** One measurement's value, or the median of the repetitions'. */
  readonly value: number;
  readonly unit: string;
  /** Over the repetitions (aggregate.ts): the smallest and largest value, and how many there were. */
  readonly min?: number;
  readonly max?: number;
  readonly n?: number;
}

/** Units where a smaller value is the better one; every other unit is a rate. */
const LOWER_IS_BETTER = new Set(['ms', 'KiB', 'MiB', 's', 'ms/MiB', 'µs/msg', 'ms/conn']);

export function lowerIsBetter(unit: string): boolean {
  return LOWER_IS_BETTER.has(unit);
}
