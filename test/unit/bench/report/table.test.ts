import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemsOf, toLines } from '../../../../bench/report/table.js';
import type { Row } from '../../../../bench/report/types.js';

const rows: Row[] = [
  { scenario: 'b', system: 'tcp', metric: 'm', value: 1, unit: 'ms' },
  { scenario: 'a', system: 'gateway', metric: 'm', value: 2, unit: 'ms' },
  { scenario: 'b', system: 'gateway', metric: 'm', value: 3, unit: 'ms' },
  { scenario: 'b', system: 'extra', metric: 'n', value: 4, unit: 'KiB' },
];

test('lines keep the order in which rows first name them', () => {
  const lines = toLines(rows);
  assert.deepEqual(
    lines.map((l) => [l.scenario, l.metric, l.unit, [...l.values]]),
    [
      ['b', 'm', 'ms', [['tcp', 1], ['gateway', 3]]],
      ['a', 'm', 'ms', [['gateway', 2]]],
      ['b', 'n', 'KiB', [['extra', 4]]],
    ],
  );
});

test('systems: the preferred order first, then the others as met', () => {
  assert.deepEqual(systemsOf(rows, ['gateway', 'websockify', 'tcp']), ['gateway', 'tcp', 'extra']);
});
