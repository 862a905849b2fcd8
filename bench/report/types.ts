/** One measurement: the unit of the JSON results, the Markdown table and the chart. */
export interface Row {
  readonly scenario: string;
  readonly system: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

/** Units where a smaller value is the better one; every other unit is a rate. */
const LOWER_IS_BETTER = new Set(['ms', 'KiB', 'MiB', 's']);

export function lowerIsBetter(unit: string): boolean {
  return LOWER_IS_BETTER.has(unit);
}
