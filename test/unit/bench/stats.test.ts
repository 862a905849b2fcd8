import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, percentile, percentiles, perUnit, relativeSpread, rotate, summarize } from '../../../bench/stats.js';

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

test('the median of an odd count is the middle value, of an even count the mean of the two middle ones', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5]), 5);
  assert.ok(Number.isNaN(median([])));
});

test('a summary leaves non-finite values out of median, range and count', () => {
  assert.deepEqual(summarize([10, Number.NaN, 30, 20, Number.POSITIVE_INFINITY]), { median: 20, min: 10, max: 30, n: 3 });
  assert.equal(summarize([Number.NaN]).n, 0);
  assert.ok(Number.isNaN(summarize([]).median));
});

test('the relative spread is the range over the median', () => {
  assert.equal(relativeSpread(summarize([90, 100, 120])), 0.3);
  assert.equal(relativeSpread(summarize([7])), 0);
  assert.ok(Number.isNaN(relativeSpread(summarize([]))));
});

test('cost per unit is NaN when no work was done, never infinite', () => {
  assert.equal(perUnit(50, 25), 2);
  assert.ok(Number.isNaN(perUnit(50, 0)));
  assert.ok(Number.isNaN(perUnit(Number.NaN, 3)));
});

test('rotation starts each repetition one system later', () => {
  assert.deepEqual(rotate(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.deepEqual(rotate(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  assert.deepEqual(rotate(['a', 'b', 'c'], 4), ['b', 'c', 'a']);
  assert.deepEqual(rotate([], 2), []);
});
