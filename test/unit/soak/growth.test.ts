import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectableLeakPerConnection, FD_BOUND, growthLimit, judgeGrowth, judgePlateau, RSS_BOUND } from '../../../soak/growth.js';

test('growth within the absolute allowance plus the share of the value before passes', () => {
  const bound = { absolute: 10, relative: 0.1 };
  assert.equal(growthLimit(100, bound), 20);
  assert.deepEqual(judgeGrowth(100, 120, bound), { before: 100, after: 120, growth: 20, limit: 20, pass: true });
  assert.equal(judgeGrowth(100, 121, bound).pass, false);
  assert.equal(judgeGrowth(100, 80, bound).pass, true, 'shrinking is never a leak');
});

test('descriptors get a fixed allowance, whatever their number before', () => {
  assert.equal(judgeGrowth(20, 24, FD_BOUND).pass, true);
  assert.equal(judgeGrowth(20, 25, FD_BOUND).pass, false);
  assert.equal(judgeGrowth(20000, 20005, FD_BOUND).pass, false);
});

test('a value that could not be read never passes', () => {
  assert.equal(judgeGrowth(Number.NaN, 10, RSS_BOUND).pass, false);
  assert.equal(judgeGrowth(10, Number.NaN, RSS_BOUND).pass, false);
});

test('the smallest steady leak a run detects is the allowance spread over its connections', () => {
  // 80 MiB before: 16 MiB + 8 MiB allowed; over 50,000 connections about half a KiB each.
  assert.equal(detectableLeakPerConnection(80 * 1024, RSS_BOUND, 50000), (24 * 1024) / 50000);
  assert.equal(detectableLeakPerConnection(80 * 1024, RSS_BOUND, 0), Number.POSITIVE_INFINITY);
});

test('a plateau: the second half of the samples goes no higher than the first, give or take', () => {
  assert.equal(judgePlateau([10, 50, 52, 51, 52, 52], 1).pass, true);
  const climbing = judgePlateau([10, 20, 30, 40, 50, 60], 5);
  assert.equal(climbing.pass, false);
  assert.equal(climbing.firstHalfPeak, 30);
  assert.equal(climbing.secondHalfPeak, 60);
  assert.equal(climbing.lateGrowth, 30);
  assert.equal(judgePlateau([1, 1, 1], 5).pass, false, 'three samples show nothing');
  assert.equal(judgePlateau([5, Number.NaN, 5, 5, 5], 0).pass, true, 'unreadable samples are left out');
});
