import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateGoal, evaluateGoals, fmt, GOALS, type Goal } from '../../../../bench/report/goals.js';
import type { Row } from '../../../../bench/report/types.js';

const row = (scenario: string, system: string, metric: string, value: number, unit: string): Row => ({ scenario, system, metric, value, unit });

test('a ratio goal is met at or above its minimum and not below', () => {
  const goal: Goal = { kind: 'ratio-at-least', scenario: 'bulk 64 KiB', metric: 'throughput', peer: 'websockify', min: 2 };
  const rows = (mine: number) => [row('bulk 64 KiB', 'gateway', 'throughput', mine, 'MiB/s'), row('bulk 64 KiB', 'websockify', 'throughput', 100, 'MiB/s')];
  assert.equal(evaluateGoal(goal, rows(200)).status, 'met');
  assert.equal(evaluateGoal(goal, rows(200)).measured, '2.00× (200 against 100 MiB/s)');
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
  const nan = [row('resume c16', 'gateway', 'connections', Number.NaN, 'conn/s'), row('resume c16', 'nginx-stream', 'connections', 10, 'conn/s')];
  assert.equal(evaluateGoal(GOALS[3] as Goal, nan).status, 'not measured');
  const zeroPeer = [row('resume c16', 'gateway', 'connections', 5, 'conn/s'), row('resume c16', 'nginx-stream', 'connections', 0, 'conn/s')];
  assert.equal(evaluateGoal(GOALS[3] as Goal, zeroPeer).status, 'not measured');
});

test('the goals are the issue\'s', () => {
  assert.deepEqual(
    evaluateGoals([]).map((r) => r.text),
    [
      'bulk 64 KiB, cpu per MiB: ≤ 1.15× tls-relay',
      'bulk 4 KiB, cpu per MiB: ≤ 1.5× tls-relay',
      'churn c16, cpu per connection: ≤ 1.2× tls-relay',
      'resume c16, connections: ≥ 1× nginx-stream',
      'idle, rss per connection: ≤ 44 KiB',
      'latency, p99: within 1 ms of nginx-stream',
      'workers 16×64 KiB, throughput of gateway-2w: ≥ 0.8× nginx-stream-2w',
      'bulk 64 KiB, cpu per MiB: ≤ 1× naive',
      'bulk 4 KiB, cpu per MiB: ≤ 1× naive',
      'churn c16, cpu per connection: ≤ 1× naive',
      'idle, rss per connection: ≤ 1× naive',
    ],
  );
});

test('a cost goal is met at or below its ratio to the peer, and a goal may judge another system than the gateway', () => {
  const goal: Goal = { kind: 'ratio-at-most', scenario: 'bulk 4 KiB', metric: 'cpu per MiB', peer: 'tls-relay', max: 1.5 };
  const rows = (mine: number) => [row('bulk 4 KiB', 'gateway', 'cpu per MiB', mine, 'ms/MiB'), row('bulk 4 KiB', 'tls-relay', 'cpu per MiB', 2, 'ms/MiB')];
  assert.equal(evaluateGoal(goal, rows(3)).status, 'met');
  assert.equal(evaluateGoal(goal, rows(3.1)).status, 'not met');
  assert.equal(evaluateGoal(goal, rows(3.1)).measured, '1.55× (3.10 against 2.00 ms/MiB)');
  const workers: Goal = { kind: 'ratio-at-least', scenario: 'workers', metric: 'throughput', system: 'gateway-2w', peer: 'nginx-stream-2w', min: 0.8 };
  const w = [row('workers', 'gateway', 'throughput', 1, 'MiB/s'), row('workers', 'gateway-2w', 'throughput', 400, 'MiB/s'), row('workers', 'nginx-stream-2w', 'throughput', 450, 'MiB/s')];
  assert.equal(evaluateGoal(workers, w).status, 'met');
  assert.equal(evaluateGoal(workers, w).text, 'workers, throughput of gateway-2w: ≥ 0.8× nginx-stream-2w');
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
