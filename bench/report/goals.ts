/**
 * The project's performance goals, checked against one run. A goal is either a ratio to a peer, a difference to a
 * peer or a bound on the gateway's own value. A goal whose numbers are missing (peer not installed, scenario not run)
 * is "not measured", never "met".
 */
import type { Row } from './types.js';

export type Goal =
  | { kind: 'ratio-at-least'; scenario: string; metric: string; peer: string; min: number }
  | { kind: 'difference-at-most'; scenario: string; metric: string; peer: string; max: number }
  | { kind: 'value-at-most'; scenario: string; metric: string; max: number };

export interface GoalResult {
  readonly goal: Goal;
  readonly text: string;
  readonly status: 'met' | 'not met' | 'not measured';
  /** What was measured, e.g. "2.41×" or "38.2 KiB". */
  readonly measured: string;
}

export const GATEWAY = 'gateway';

export const GOALS: readonly Goal[] = [
  { kind: 'ratio-at-least', scenario: 'bulk 64 KiB', metric: 'throughput', peer: 'websockify', min: 2 },
  { kind: 'ratio-at-least', scenario: 'bulk 64 KiB', metric: 'throughput', peer: 'nginx-stream', min: 0.7 },
  { kind: 'ratio-at-least', scenario: 'bulk 4 KiB', metric: 'throughput', peer: 'websockify', min: 2.5 },
  { kind: 'ratio-at-least', scenario: 'churn c16', metric: 'connections', peer: 'websockify', min: 3.5 },
  { kind: 'ratio-at-least', scenario: 'churn c16', metric: 'connections', peer: 'nginx-stream', min: 0.9 },
  { kind: 'value-at-most', scenario: 'idle', metric: 'rss per connection', max: 40 },
  { kind: 'difference-at-most', scenario: 'latency', metric: 'p99', peer: 'nginx-stream', max: 1 },
];

function find(rows: readonly Row[], scenario: string, metric: string, system: string): Row | undefined {
  return rows.find((r) => r.scenario === scenario && r.metric === metric && r.system === system && Number.isFinite(r.value));
}

export function describeGoal(goal: Goal, unit = ''): string {
  const what = `${goal.scenario}, ${goal.metric}`;
  switch (goal.kind) {
    case 'ratio-at-least':
      return `${what}: ≥ ${goal.min}× ${goal.peer}`;
    case 'difference-at-most':
      return `${what}: within ${goal.max}${unit ? ' ' + unit : ''} of ${goal.peer}`;
    case 'value-at-most':
      return `${what}: ≤ ${goal.max}${unit ? ' ' + unit : ''}`;
  }
}

export function evaluateGoal(goal: Goal, rows: readonly Row[]): GoalResult {
  const mine = find(rows, goal.scenario, goal.metric, GATEWAY);
  const unit = mine?.unit ?? (goal.kind === 'value-at-most' ? 'KiB' : goal.kind === 'difference-at-most' ? 'ms' : '');
  const text = describeGoal(goal, unit);
  const missing: GoalResult = { goal, text, status: 'not measured', measured: '—' };
  if (!mine) return missing;
  if (goal.kind === 'value-at-most') {
    return { goal, text, status: mine.value <= goal.max ? 'met' : 'not met', measured: `${fmt(mine.value)} ${mine.unit}` };
  }
  const peer = find(rows, goal.scenario, goal.metric, goal.peer);
  if (!peer) return missing;
  if (goal.kind === 'ratio-at-least') {
    if (peer.value === 0) return missing;
    const ratio = mine.value / peer.value;
    return { goal, text, status: ratio >= goal.min ? 'met' : 'not met', measured: `${fmt(ratio)}×` };
  }
  const diff = mine.value - peer.value;
  return { goal, text, status: diff <= goal.max ? 'met' : 'not met', measured: `${diff >= 0 ? '+' : ''}${fmt(diff)} ${mine.unit}` };
}

export function evaluateGoals(rows: readonly Row[], goals: readonly Goal[] = GOALS): GoalResult[] {
  return goals.map((g) => evaluateGoal(g, rows));
}

/** Three significant digits, never exponent notation. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3).replace(/0+$/, '').replace(/\.$/, '');
}
