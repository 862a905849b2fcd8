import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateGoal, evaluateGoals, fmt, GOALS, type Goal } from '../../../../bench/report/goals.js';
import type { Row } from '../../../../bench/report/types.js';

const row = (scenario: string, system: string, metric: string, value: number, unit: string): Row => ({ scenario, system, metric, value, unit });

test('a ratio goal is met at or above its minimum and not below', () => {
  const goal: Goal = { kind: 'ratio-at-least', scenario: 'bulk 64 KiB', metric: 'throughput', peer: 'websockify', min: 2 };
  const rows = (mine: number) => [row('bulk 64 KiB', 'gateway', 'throughput', mine, 'MiB/s'), row('bulk 64 KiB', 'websockify', 'throughput', 100, 'MiB/s')];
  assert.equal(evaluateGoal(goal, rows(200)).status, 'met');
  assert.equal(evaluateGoal(goal, rows(200)).measured, '2.00×');
  assert.equal(evaluateGoal(goal, rows(199)).status, 'not met');
  assert.equal(evaluateGoal(goal, rows(199)).text, 'bulk 64 KiB, throughput: ≥ 2× websockify');
});

test('a difference goal compares the gateway with the peer in the unit of the rows', () => {
  const goal: Goal = { kind: 'difference-at-most', scenario: 'latency', metric: 'p99', peer: 'nginx-stream', max: 1 };
  const rows = (mine: number) => [row('latency', 'gateway', 'p99', mine, 'ms'), row('latency', 'nginx-stream', 'p99', 2, 'ms')];
  const near = evaluateGoal(goal, rows(2.9));
  assert.equal(near.status, 'met');
  assert.equal(near.measured, '+0.9 ms');
  assert.equal(near.text, 'latency, p99: within 1 ms of nginx-stream');
  assert.equal(evaluateGoal(goal, rows(3.5)).status, 'not met');
  assert.equal(evaluateGoal(goal, rows(1)).measured, '-1.00 ms');
});

test('a bound goal needs only the gateway', () => {
  const goal: Goal = { kind: 'value-at-most', scenario: 'idle', metric: 'rss per connection', max: 40 };
  assert.equal(evaluateGoal(goal, [row('idle', 'gateway', 'rss per connection', 39.5, 'KiB')]).status, 'met');
  const over = evaluateGoal(goal, [row('idle', 'gateway', 'rss per connection', 41, 'KiB')]);
  assert.equal(over.status, 'not met');
  assert.equal(over.measured, '41.0 KiB');
});

test('a goal without its numbers is "not measured", never met', () => {
  const rows = [row('bulk 64 KiB', 'gateway', 'throughput', 500, 'MiB/s')];
  const results = evaluateGoals(rows);
  assert.equal(results.length, GOALS.length);
  assert.ok(results.every((r) => r.status === 'not measured'));
  const nan = [row('churn c16', 'gateway', 'connections', Number.NaN, 'conn/s'), row('churn c16', 'websockify', 'connections', 10, 'conn/s')];
  assert.equal(evaluateGoal(GOALS[3] as Goal, nan).status, 'not measured');
  const zeroPeer = [row('churn c16', 'gateway', 'connections', 5, 'conn/s'), row('churn c16', 'websockify', 'connections', 0, 'conn/s')];
  assert.equal(evaluateGoal(GOALS[3] as Goal, zeroPeer).status, 'not measured');
});

test('the goals are the issue\'s', () => {
  assert.deepEqual(
    evaluateGoals([]).map((r) => r.text),
    [
      'bulk 64 KiB, throughput: ≥ 2× websockify',
      'bulk 64 KiB, throughput: ≥ 0.7× nginx-stream',
      'bulk 4 KiB, throughput: ≥ 2.5× websockify',
      'churn c16, connections: ≥ 3.5× websockify',
      'churn c16, connections: ≥ 0.9× nginx-stream',
      'idle, rss per connection: ≤ 40 KiB',
      'latency, p99: within 1 ms of nginx-stream',
    ],
  );
});

test('fmt keeps three significant digits without exponents', () => {
  assert.equal(fmt(1234.5), '1235');
  assert.equal(fmt(12.345), '12.3');
  assert.equal(fmt(1.2345), '1.23');
  assert.equal(fmt(0.012345), '0.0123');
  assert.equal(fmt(0.5), '0.5');
  assert.equal(fmt(0), '0');
  assert.equal(fmt(Number.NaN), '—');
});
