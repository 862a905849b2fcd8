/** Writes a run's results under bench/results/: JSON rows, the Markdown report and the SVG chart. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from '../machine.js';
import type { Row } from './types.js';

export interface RunRecord {
  readonly startedAt: string;
  readonly mode: 'quick' | 'full';
  readonly machine: Machine;
  /** Where the systems, the client and the sink ran (pin.ts). */
  readonly placement: string;
  readonly repetitions: number;
  /** Every repetition's measurements; `rows` are their medians. */
  readonly samples: readonly Row[];
  readonly systems: readonly { name: string; description: string; skipped?: string }[];
  readonly notes: readonly string[];
  readonly rows: readonly Row[];
}

export interface Written {
  readonly json: string;
  readonly markdown: string;
  readonly svg: string;
}

/**
 * `<stamp>-<name>.json` keeps every run's rows; `latest-<name>.*` is overwritten by the next run of that name. The
 * name is the mode, with `-partial` when `--only` or `--systems` left something out, so that a partial run never
 * replaces the results of a whole one.
 */
export function writeResults(dir: string, record: RunRecord, markdown: string, svg: string, partial: boolean): Written {
  mkdirSync(dir, { recursive: true });
  const stamp = record.startedAt.replace(/[:.]/g, '-');
  const name = partial ? `${record.mode}-partial` : record.mode;
  const json = JSON.stringify(record, null, 2) + '\n';
  writeFileSync(join(dir, `${stamp}-${name}.json`), json);
  const latest = join(dir, `latest-${name}`);
  writeFileSync(`${latest}.json`, json);
  writeFileSync(`${latest}.md`, markdown);
  writeFileSync(`${latest}.svg`, svg);
  return { json: `${latest}.json`, markdown: `${latest}.md`, svg: `${latest}.svg` };
}
