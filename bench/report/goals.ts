/**
 * The project's performance goals, checked against the medians of one run. A goal is a ratio to a peer (at least
 * or at most), a difference to a peer or a bound on the gateway's own value; it is the single-process gateway's
 * unless it names another system (the `workers` scenario's). A goal whose numbers are missing (peer not
 * installed, scenario not run) is "not measured", never "met".
 */
import type { Row } from './types.js';

interface GoalBase {
  readonly scenario: string;
  readonly metric: string;
  /** The system judged; default the gateway. */
  readonly system?: string;
}

export type Goal =
  | (GoalBase & { kind: 'ratio-at-least'; peer: string; min: number })
  | (GoalBase & { kind: 'ratio-at-most'; peer: string; max: number })
  | (GoalBase & { kind: 'difference-at-most'; peer: string; max: number })
  | (GoalBase & { kind: 'value-at-most'; max: number });

export interface GoalResult {
  readonly goal: Goal;
  readonly text: string;
  readonly status: 'met' | 'not met' | 'not measured';
  /** What was measured, e.g. "2.41×" or "38.2 KiB". */
  readonly measured: string;
}

export const GATEWAY = 'gateway';

/** From the project's issue: against Node's own floor (tls-relay), nginx, and the proxy Node gives for free (naive). */
export const GOALS: readonly Goal[] = [
  { kind: 'ratio-at-most', scenario: 'bulk 64 KiB', metric: 'cpu per MiB', peer: 'tls-relay', max: 1.15 },
  { kind: 'ratio-at-most', scenario: 'bulk 4 KiB', metric: 'cpu per MiB', peer: 'tls-relay', max: 1.5 },
  { kind: 'ratio-at-most', scenario: 'churn c16', metric: 'cpu per connection', peer: 'tls-relay', max: 1.2 },
  { kind: 'ratio-at-least', scenario: 'resume c16', metric: 'connections', peer: 'nginx-stream', min: 1 },
  { kind: 'value-at-most', scenario: 'idle', metric: 'rss per connection', max: 44 },
  { kind: 'difference-at-most', scenario: 'latency', metric: 'p99', peer: 'nginx-stream', max: 1 },
  { kind: 'ratio-at-least', scenario: 'workers 16×64 KiB', metric: 'throughput', system: 'gateway-2w', peer: 'nginx-stream-2w', min: 0.8 },
  { kind: 'ratio-at-most', scenario: 'bulk 64 KiB', metric: 'cpu per MiB', peer: 'naive', max: 1 },
  { kind: 'ratio-at-most', scenario: 'bulk 4 KiB', metric: 'cpu per MiB', peer: 'naive', max: 1 },
  { kind: 'ratio-at-most', scenario: 'churn c16', metric: 'cpu per connection', peer: 'naive', max: 1 },
  { kind: 'ratio-at-most', scenario: 'idle', metric: 'rss per connection', peer: 'naive', max: 1 },
];

function find(rows: readonly Row[], scenario: string, metric: string, system: string): Row | undefined {
  return rows.find((r) => r.scenario === scenario && r.metric === metric && r.system === system && Number.isFinite(r.value));
}

export function describeGoal(goal: Goal, unit = ''): string {
  const what = `${goal.scenario}, ${goal.metric}${goal.system !== undefined ? ` of ${goal.system}` : ''}`;
  switch (goal.kind) {
    case 'ratio-at-least':
      return `${what}: ≥ ${goal.min}× ${goal.peer}`;
    case 'ratio-at-most':
      return `${what}: ≤ ${goal.max}× ${goal.peer}`;
    case 'difference-at-most':
      return `${what}: within ${goal.max}${unit ? ' ' + unit : ''} of ${goal.peer}`;
    case 'value-at-most':
      return `${what}: ≤ ${goal.max}${unit ? ' ' + unit : ''}`;
  }
}

export function evaluateGoal(goal: Goal, rows: readonly Row[]): GoalResult {
  const mine = find(rows, goal.scenario, goal.metric, goal.system ?? GATEWAY);
  const unit = mine?.unit ?? (goal.kind === 'value-at-most' ? 'KiB' : goal.kind === 'difference-at-most' ? 'ms' : '');
  const text = describeGoal(goal, unit);
  const missing: GoalResult = { goal, text, status: 'not measured', measured: '—' };
  if (!mine) return missing;
  if (goal.kind === 'value-at-most') {
    return { goal, text, status: mine.value <= goal.max ? 'met' : 'not met', measured: `${fmt(mine.value)} ${mine.unit}` };
  }
  const peer = find(rows, goal.scenario, goal.metric, goal.peer);
  if (!peer) return missing;
  if (goal.kind === 'ratio-at-least' || goal.kind === 'ratio-at-most') {
    if (peer.value === 0) return missing;
    const ratio = mine.value / peer.value;
    const met = goal.kind === 'ratio-at-least' ? ratio >= goal.min : ratio <= goal.max;
    return { goal, text, status: met ? 'met' : 'not met', measured: `${fmt(ratio)}× (${fmt(mine.value)} against ${fmt(peer.value)} ${mine.unit})` };
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
