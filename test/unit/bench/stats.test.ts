import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, percentiles } from '../../../bench/stats.js';

test('nearest-rank percentiles of 1..100', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 99.9), 100);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile(sorted, 0), 1);
});

test('a single sample is every percentile', () => {
  assert.deepEqual(percentiles([7.5], [50, 99, 99.9]), [7.5, 7.5, 7.5]);
});

test('no samples give NaN rather than a made-up number', () => {
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('percentiles sorts numerically without changing its input', () => {
  const samples = [10, 9, 100, 1, 2];
  assert.deepEqual(percentiles(samples, [20, 60, 100]), [1, 9, 100]);
  assert.deepEqual(samples, [10, 9, 100, 1, 2]);
});

test('p99.9 of 10,000 samples is the 9,990th', () => {
  const samples = Array.from({ length: 10000 }, (_, i) => 10000 - i);
  assert.deepEqual(percentiles(samples, [99.9]), [9990]);
});
