/** The Markdown report of one soak run: how to reproduce it, a summary, and a section per scenario. */
import { machineMarkdown, type Machine } from '../../bench/machine.js';
import { fmt } from '../../bench/report/goals.js';
import type { CommitInfo } from '../commit.js';
import type { Figure, ScenarioReport } from './types.js';

export interface SoakRecord {
  readonly startedAt: string;
  readonly mode: 'quick' | 'full';
  readonly minutes: number;
  readonly seed: number;
  readonly machine: Machine;
  readonly commit: CommitInfo | undefined;
  /** Accept-options the gateway under test did not know. */
  readonly unknownOptions: readonly string[];
  readonly scenarios: readonly ScenarioReport[];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function value(f: Figure): string {
  if (typeof f.value === 'string') return f.value;
  return Number.isInteger(f.value) ? String(f.value) : fmt(f.value);
}

function commitLine(c: CommitInfo | undefined): string {
  if (!c) return '- commit: unknown (not a git checkout)';
  const tree = c.changes === 0 ? 'working tree clean' : `${c.changes} changed file${c.changes === 1 ? '' : 's'} not committed`;
  return `- commit \`${c.commit}\` (branch \`${c.branch}\`), ${tree}`;
}

export function renderScenario(r: ScenarioReport, index: number): string {
  const out = [`## ${index}. ${r.title}: ${r.status}`, '', r.how, ''];
  if (r.skipped !== undefined) out.push(`Skipped: ${r.skipped}.`, '');
  if (r.error !== undefined) out.push(`The scenario stopped before its end: ${cell(r.error)}`, '');
  if (r.checks.length > 0) {
    out.push('| goal | measured | status |', '|---|---|---|');
    for (const c of r.checks) out.push(`| ${cell(c.goal)} | ${cell(c.measured)} | ${c.pass ? 'PASS' : 'FAIL'} |`);
    out.push('');
  }
  if (r.figures.length > 0) {
    out.push('| figure | value | unit |', '|---|---:|---|');
    for (const f of r.figures) out.push(`| ${cell(f.metric)} | ${cell(value(f))} | ${f.unit} |`);
    out.push('');
  }
  if (r.details) out.push(r.details, '');
  if (r.notes.length > 0) out.push('Notes from the run:', '', ...r.notes.map((n) => `- ${n}`), '');
  out.push(`Time: ${fmt(r.seconds)} s.`, '');
  return out.join('\n');
}

export function renderReport(rec: SoakRecord): string {
  const summary = ['| scenario | status | goals met |', '|---|---|---:|'];
  rec.scenarios.forEach((r, i) => summary.push(`| ${i + 1}. ${r.title} | ${r.status} | ${r.checks.filter((c) => c.pass).length} of ${r.checks.length} |`));
  const options =
    rec.unknownOptions.length === 0
      ? '- the gateway under test knows every accept-option the soak sets'
      : `- the gateway under test does not know ${rec.unknownOptions.map((o) => `\`${o}\``).join(', ')}: the scenarios ran without ${rec.unknownOptions.length === 1 ? 'it' : 'them'}`;
  return [
    `# Reliability: soak results (${rec.mode} run)`,
    '',
    'What `npm run soak` saw the gateway do over minutes rather than milliseconds: thousands of connections held, tens of ' +
      'thousands opened and closed, clients that never finish their handshake, backends that fail in every way a TCP ' +
      'peer can, fuzzed input, and a TLS scan. Every scenario starts the real `bin/gateway` and real backends on 127.0.0.1 ' +
      'and stops them. A soak is not a test: each goal is judged PASS or FAIL below, and the run itself succeeds whenever it ' +
      'could run.',
    '',
    '## How to reproduce',
    '',
    commitLine(rec.commit),
    `- ${rec.startedAt}; a ${rec.mode} run of ${fmt(rec.minutes)} minutes; fuzzing seed ${rec.seed}`,
    options,
    machineMarkdown(rec.machine, 'tools'),
    '',
    '```sh',
    'apt-get install -y testssl.sh   # optional: without it the TLS scan is skipped',
    'npm ci',
    'npm run soak                    # every scenario, full size; rewrites docs/RELIABILITY.md',
    'npm run soak -- --quick         # smaller, under three minutes; writes soak/results/latest-quick.md',
    `npm run soak -- --only fuzz --seed ${rec.seed}`,
    '```',
    '',
    '## Summary',
    '',
    ...summary,
    '',
    ...rec.scenarios.map((r, i) => renderScenario(r, i + 1)),
  ].join('\n');
}
