/** Rows grouped into the side-by-side shape both the Markdown table and the chart draw. */
import type { Row } from './types.js';

export interface Line {
  readonly scenario: string;
  readonly metric: string;
  readonly unit: string;
  /** system → value, for the systems that measured this line. */
  readonly values: ReadonlyMap<string, number>;
  /** system → its row, for the range over repetitions. */
  readonly rows: ReadonlyMap<string, Row>;
}

/** One line per (scenario, metric), in the order the rows first name them. */
export function toLines(rows: readonly Row[]): Line[] {
  const lines = new Map<string, { scenario: string; metric: string; unit: string; values: Map<string, number>; rows: Map<string, Row> }>();
  for (const r of rows) {
    const key = `${r.scenario}\u0000${r.metric}`;
    let line = lines.get(key);
    if (!line) {
      line = { scenario: r.scenario, metric: r.metric, unit: r.unit, values: new Map(), rows: new Map() };
      lines.set(key, line);
    }
    line.values.set(r.system, r.value);
    line.rows.set(r.system, r);
  }
  return [...lines.values()];
}

/** The systems that appear in the rows: those in `preferred` first, in that order, then the others as met. */
export function systemsOf(rows: readonly Row[], preferred: readonly string[]): string[] {
  const seen = new Set(rows.map((r) => r.system));
  const out = preferred.filter((s) => seen.has(s));
  for (const r of rows) if (!out.includes(r.system)) out.push(r.system);
  return out;
}
