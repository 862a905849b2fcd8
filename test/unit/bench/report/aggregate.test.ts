import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate } from '../../../../bench/report/aggregate.js';
import type { Row } from '../../../../bench/report/types.js';

const row = (system: string, metric: string, value: number): Row => ({ scenario: 'bulk 64 KiB', system, metric, value, unit: metric === 'throughput' ? 'MiB/s' : 'ms/MiB' });

test('repetitions fold into their median, range and count, in the order first seen', () => {
  const samples = [row('gateway', 'throughput', 300), row('gateway', 'cpu per MiB', 2.5), row('nginx-stream', 'throughput', 500), row('gateway', 'throughput', 100), row('gateway', 'throughput', 200), row('gateway', 'cpu per MiB', 2.1), row('gateway', 'cpu per MiB', 2.2)];
  const rows = aggregate(samples);
  assert.deepEqual(
    rows.map((r) => [r.system, r.metric, r.value, r.min, r.max, r.n]),
    [
      ['gateway', 'throughput', 200, 100, 300, 3],
      ['gateway', 'cpu per MiB', 2.2, 2.1, 2.5, 3],
      ['nginx-stream', 'throughput', 500, 500, 500, 1],
    ],
  );
  assert.equal(rows[1]?.unit, 'ms/MiB');
});

test('a measurement with no finite value in any repetition is left out', () => {
  assert.deepEqual(aggregate([row('tcp', 'cpu per MiB', Number.NaN)]), []);
  assert.equal(aggregate([row('tcp', 'throughput', Number.NaN), row('tcp', 'throughput', 40)])[0]?.n, 1);
});
