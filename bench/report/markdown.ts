/** The Markdown report: every system side by side, the gateway's ratio to each peer, and the goals. */
import { fmt, GATEWAY, type GoalResult } from './goals.js';
import { toLines } from './table.js';
import type { Row } from './types.js';

export interface MarkdownOptions {
  /** Column order of the systems. */
  readonly systems: readonly string[];
  /** Systems the gateway is compared with (a ratio column each). */
  readonly peers: readonly string[];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The value, and over several repetitions their range: `230 (190–250)`. */
export function valueWithRange(row: Row): string {
  if (row.n === undefined || row.n < 2 || row.min === undefined || row.max === undefined) return fmt(row.value);
  return `${fmt(row.value)} (${fmt(row.min)}–${fmt(row.max)})`;
}

export function renderTable(rows: readonly Row[], opts: MarkdownOptions): string {
  const peers = opts.systems.includes(GATEWAY) ? opts.peers.filter((p) => opts.systems.includes(p)) : [];
  const header = ['scenario', 'metric', 'unit', ...opts.systems, ...peers.map((p) => `${GATEWAY} ÷ ${p}`)];
  const out = [`| ${header.map(cell).join(' | ')} |`, `|${header.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`];
  for (const line of toLines(rows)) {
    const values = opts.systems.map((s) => {
      const row = line.rows.get(s);
      return row === undefined ? '' : valueWithRange(row);
    });
    const mine = line.values.get(GATEWAY);
    const ratios = peers.map((p) => {
      const theirs = line.values.get(p);
      if (mine === undefined || theirs === undefined || theirs === 0 || !Number.isFinite(mine) || !Number.isFinite(theirs)) return '';
      return `${fmt(mine / theirs)}×`;
    });
    out.push(`| ${[line.scenario, line.metric, line.unit, ...values, ...ratios].map(cell).join(' | ')} |`);
  }
  return out.join('\n');
}

export function renderGoals(results: readonly GoalResult[]): string {
  const out = ['| goal | measured | status |', '|---|---:|---|'];
  for (const r of results) out.push(`| ${cell(r.text)} | ${cell(r.measured)} | ${r.status} |`);
  return out.join('\n');
}
