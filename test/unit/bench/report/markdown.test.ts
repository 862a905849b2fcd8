import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderGoals, renderTable } from '../../../../bench/report/markdown.js';
import type { GoalResult } from '../../../../bench/report/goals.js';
import type { Row } from '../../../../bench/report/types.js';

const rows: Row[] = [
  { scenario: 'bulk 64 KiB', system: 'gateway', metric: 'throughput', value: 400, unit: 'MiB/s' },
  { scenario: 'bulk 64 KiB', system: 'websockify', metric: 'throughput', value: 100, unit: 'MiB/s' },
  { scenario: 'bulk 64 KiB', system: 'nginx-stream', metric: 'throughput', value: 500, unit: 'MiB/s' },
  { scenario: 'bulk 64 KiB', system: 'tcp', metric: 'throughput', value: 2000, unit: 'MiB/s' },
  { scenario: 'idle', system: 'gateway', metric: 'rss per connection', value: 30.25, unit: 'KiB' },
  { scenario: 'idle', system: 'nginx-stream', metric: 'rss per connection', value: 45, unit: 'KiB' },
];

test('one line per scenario and metric, systems side by side, the gateway\'s ratio to each peer', () => {
  const md = renderTable(rows, { systems: ['gateway', 'websockify', 'nginx-stream', 'tcp'], peers: ['websockify', 'nginx-stream'] });
  const lines = md.split('\n');
  assert.equal(lines[0], '| scenario | metric | unit | gateway | websockify | nginx-stream | tcp | gateway ÷ websockify | gateway ÷ nginx-stream |');
  assert.equal(lines[1], '|---|---|---|---:|---:|---:|---:|---:|---:|');
  assert.equal(lines[2], '| bulk 64 KiB | throughput | MiB/s | 400 | 100 | 500 | 2000 | 4.00× | 0.8× |');
  // A system that did not measure a line leaves its cell and its ratio empty.
  assert.equal(lines[3], '| idle | rss per connection | KiB | 30.3 |  | 45.0 |  |  | 0.672× |');
  assert.equal(lines.length, 4);
});

test('without the gateway there are no ratio columns', () => {
  const md = renderTable(rows.filter((r) => r.system !== 'gateway'), { systems: ['websockify', 'nginx-stream', 'tcp'], peers: ['websockify', 'nginx-stream'] });
  assert.equal(md.split('\n')[0], '| scenario | metric | unit | websockify | nginx-stream | tcp |');
});

test('pipes in text are escaped so the table keeps its columns', () => {
  const md = renderTable([{ scenario: 'a|b', system: 'gateway', metric: 'm', value: 1, unit: 'ms' }], { systems: ['gateway'], peers: [] });
  assert.match(md, /\| a\\\|b \| m \| ms \| 1\.00 \|/);
});

test('goals are listed with what was measured and whether they are met', () => {
  const results: GoalResult[] = [
    { goal: { kind: 'value-at-most', scenario: 'idle', metric: 'rss per connection', max: 40 }, text: 'idle, rss per connection: ≤ 40 KiB', status: 'met', measured: '30.3 KiB' },
    { goal: { kind: 'ratio-at-least', scenario: 's', metric: 'm', peer: 'p', min: 2 }, text: 's, m: ≥ 2× p', status: 'not measured', measured: '—' },
  ];
  assert.equal(
    renderGoals(results),
    ['| goal | measured | status |', '|---|---:|---|', '| idle, rss per connection: ≤ 40 KiB | 30.3 KiB | met |', '| s, m: ≥ 2× p | — | not measured |'].join('\n'),
  );
});

test('over several repetitions a cell gives the median and the range', () => {
  const repeated: Row[] = [
    { scenario: 'churn c16', system: 'gateway', metric: 'cpu per connection', value: 2.5, unit: 'ms/conn', min: 2.25, max: 3.5, n: 3 },
    { scenario: 'churn c16', system: 'tls-relay', metric: 'cpu per connection', value: 2, unit: 'ms/conn', min: 2, max: 2, n: 1 },
  ];
  const md = renderTable(repeated, { systems: ['gateway', 'tls-relay'], peers: ['tls-relay'] });
  assert.equal(md.split('\n')[2], '| churn c16 | cpu per connection | ms/conn | 2.50 (2.25–3.50) | 2.00 | 1.25× |');
});
