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

/** `<stamp>-<mode>.json` keeps every run's rows; `latest-<mode>.*` is overwritten by the next run of that mode. */
export function writeResults(dir: string, record: RunRecord, markdown: string, svg: string): Written {
  mkdirSync(dir, { recursive: true });
  const stamp = record.startedAt.replace(/[:.]/g, '-');
  const json = JSON.stringify(record, null, 2) + '\n';
  writeFileSync(join(dir, `${stamp}-${record.mode}.json`), json);
  const latest = join(dir, `latest-${record.mode}`);
  writeFileSync(`${latest}.json`, json);
  writeFileSync(`${latest}.md`, markdown);
  writeFileSync(`${latest}.svg`, svg);
  return { json: `${latest}.json`, markdown: `${latest}.md`, svg: `${latest}.svg` };
}
