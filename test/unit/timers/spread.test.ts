import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_TICK_MS, spread, spreadPlan } from '../../../src/timers/spread.js';
import { FakeTimers } from '../../helpers/fake-timers.js';

test('items are acted on in batches, one batch at once and the rest evenly over the period', () => {
  const timers = new FakeTimers();
  const done: number[] = [];
  const s = spread([1, 2, 3, 4], 2000, (n) => done.push(n), timers.setTimer);
  assert.deepEqual(done, [1], 'the first at once');
  assert.equal(s.left, 3);
  timers.fire();
  assert.deepEqual(done, [1, 2]);
  timers.fire();
  timers.fire();
  assert.deepEqual(done, [1, 2, 3, 4]);
  assert.deepEqual(timers.delays, [500, 500, 500], 'four items over 2 s: one every 500 ms');
  assert.equal(timers.armed, false, 'no timer once every item is done');
  assert.equal(s.left, 0);
});

test('many items share ticks no closer than MIN_TICK_MS, and the last batch goes before the period ends', () => {
  const timers = new FakeTimers();
  let count = 0;
  spread(Array.from({ length: 10_000 }, (_, i) => i), 30_000, () => count++, timers.setTimer);
  const plan = spreadPlan(10_000, 30_000);
  assert.deepEqual(plan, { ticks: 300, batch: 34, tickMs: 100 });
  assert.equal(count, 34);
  let ticks = 1;
  while (timers.armed) {
    timers.fire();
    ticks++;
  }
  assert.equal(count, 10_000);
  assert.ok(ticks <= plan.ticks, `${ticks} ticks`);
  assert.ok(timers.delays.every((d) => d >= MIN_TICK_MS));
  assert.ok(timers.delays.reduce((a, b) => a + b, 0) < 30_000, 'the last batch is acted on within the period');
});

test('finish() acts on the rest at once; cancel() stops without acting; a zero period acts on everything at once', () => {
  const timers = new FakeTimers();
  const done: number[] = [];
  const s = spread([1, 2, 3], 3000, (n) => done.push(n), timers.setTimer);
  s.finish();
  assert.deepEqual(done, [1, 2, 3]);
  assert.equal(timers.armed, false);

  const other: number[] = [];
  const c = spread([1, 2, 3], 3000, (n) => other.push(n), timers.setTimer);
  c.cancel();
  c.finish();
  assert.deepEqual(other, [1]);
  assert.equal(c.left, 2);
  assert.equal(timers.armed, false);

  const all: number[] = [];
  spread([1, 2, 3], 0, (n) => all.push(n), timers.setTimer);
  assert.deepEqual(all, [1, 2, 3]);
  assert.deepEqual(spread([], 1000, () => assert.fail('nothing to act on'), timers.setTimer).left, 0);
});
