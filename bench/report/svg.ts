/**
 * A horizontal bar chart of the table: one group per (scenario, metric), one bar per system. Units differ between
 * groups, so each group is scaled to its own largest value and every bar is labelled with its number.
 */
import { fmt } from './goals.js';
import { toLines } from './table.js';
import type { Row } from './types.js';
import { lowerIsBetter } from './types.js';

const PALETTE = ['#1f6feb', '#d1242f', '#2da44e', '#8250df', '#bf8700', '#57606a'];
const LABEL_W = 230;
const BAR_W = 420;
const VALUE_W = 110;
const BAR_H = 13;
const GAP = 10;
const TOP = 56;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderSvg(rows: readonly Row[], systems: readonly string[], title: string): string {
  const lines = toLines(rows);
  const color = (s: string) => PALETTE[systems.indexOf(s) % PALETTE.length] as string;
  const width = LABEL_W + BAR_W + VALUE_W;
  const parts: string[] = [];
  let y = TOP;
  for (const line of lines) {
    const present = systems.filter((s) => line.values.has(s) && Number.isFinite(line.values.get(s)));
    if (present.length === 0) continue;
    const max = Math.max(...present.map((s) => line.values.get(s) as number));
    const better = lowerIsBetter(line.unit) ? 'lower is better' : 'higher is better';
    parts.push(`<text x="8" y="${y + 10}" font-weight="bold">${esc(`${line.scenario}: ${line.metric}`)}</text>`);
    parts.push(`<text x="8" y="${y + 24}" fill="#57606a">${esc(`${line.unit}, ${better}`)}</text>`);
    present.forEach((s, i) => {
      const v = line.values.get(s) as number;
      const w = max > 0 ? Math.max(1, (v / max) * BAR_W) : 1;
      const by = y + i * (BAR_H + 2);
      parts.push(`<rect x="${LABEL_W}" y="${by}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${color(s)}"><title>${esc(`${s}: ${fmt(v)} ${line.unit}`)}</title></rect>`);
      parts.push(`<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${by + BAR_H - 2}">${esc(fmt(v))}</text>`);
    });
    y += Math.max(28, present.length * (BAR_H + 2)) + GAP;
  }
  const legend = systems
    .map((s, i) => `<rect x="${8 + i * 150}" y="28" width="12" height="12" fill="${color(s)}"/><text x="${24 + i * 150}" y="38">${esc(s)}</text>`)
    .join('');
  const height = y + 8;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="#ffffff"/>\n` +
    `<text x="8" y="18" font-size="14" font-weight="bold">${esc(title)}</text>\n${legend}\n${parts.join('\n')}\n</svg>\n`
  );
}
