/** The whole Markdown report of one run. */
import { machineMarkdown } from '../machine.js';
import { renderGoals, renderTable } from './markdown.js';
import type { GoalResult } from './goals.js';
import type { RunRecord } from './write.js';

export function renderDocument(record: RunRecord, goals: readonly GoalResult[], columns: readonly string[], peers: readonly string[], svgName: string): string {
  const systems = columns;
  const systemLines = record.systems.map((s) => `- **${s.name}**: ${s.skipped ? `skipped: ${s.skipped}` : s.description}`);
  const notes = record.notes.length > 0 ? record.notes.map((n) => `- ${n}`).join('\n') : '- none';
  return `# Benchmark results (${record.mode} run, ${record.startedAt})

## Machine
${machineMarkdown(record.machine)}
- placement: ${record.placement}
- repetitions: ${record.repetitions}, interleaved; medians with (min–max)

## Systems
${systemLines.join('\n')}

## Results
${renderTable(record.rows, { systems, peers })}

Ratio columns: the gateway's median divided by the peer's. Above 1 is better for rates (MiB/s, conn/s); below 1 is
better for costs (ms/MiB, µs/msg, ms/conn), times (ms) and memory (KiB, MiB).

![chart of the results](${svgName})

## Goals
${renderGoals(goals)}

## Notes
${notes}
`;
}
