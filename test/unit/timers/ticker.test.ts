import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ticker, type Tickable } from '../../../src/timers/ticker.js';
import { fakeClock } from '../../helpers/fake-clock.js';

function counter(): Tickable & { ticks: number } {
  return {
    ticks: 0,
    tick() {
      this.ticks++;
    },
  };
}

test('members of one period share one timer, ticked once a period each', () => {
  const clock = fakeClock();
  const ticker = new Ticker(100, clock);
  const members = Array.from({ length: 50 }, counter);
  for (const m of members) ticker.add(m);
  assert.equal(clock.pending(), 1);
  clock.advance(99);
  assert.ok(members.every((m) => m.ticks === 0));
  clock.advance(1);
  assert.ok(members.every((m) => m.ticks === 1));
  clock.advance(300);
  assert.ok(members.every((m) => m.ticks === 4));
  assert.equal(clock.pending(), 1);
});

test('the timer stops with the last member and starts again with the next', () => {
  const clock = fakeClock();
  const ticker = new Ticker(100, clock);
  const a = counter();
  const b = counter();
  ticker.add(a);
  ticker.add(b);
  ticker.delete(a);
  assert.equal(clock.pending(), 1);
  ticker.delete(b);
  ticker.delete(b);
  assert.equal(clock.pending(), 0);
  assert.equal(ticker.size, 0);
  clock.advance(500);
  assert.equal(a.ticks + b.ticks, 0);
  ticker.add(a);
  clock.advance(100);
  assert.equal(a.ticks, 1);
});

test('a member may leave, or make another leave or join, from inside a tick', () => {
  const clock = fakeClock();
  const ticker = new Ticker(100, clock);
  const late = counter();
  const gone = counter();
  const self: Tickable & { ticks: number } = {
    ticks: 0,
    tick() {
      this.ticks++;
      ticker.delete(self);
      ticker.delete(gone);
      ticker.add(late);
    },
  };
  ticker.add(self);
  ticker.add(gone);
  clock.advance(100);
  assert.equal(self.ticks, 1);
  assert.equal(gone.ticks, 0, 'removed before its turn in the same pass');
  assert.equal(late.ticks, 1, 'a member that joins during a tick is ticked in the same pass');
  clock.advance(100);
  assert.equal(self.ticks, 1);
  assert.equal(ticker.size, 1);
  assert.equal(clock.pending(), 1);
});

test('a period must be positive', () => {
  assert.throws(() => new Ticker(0), RangeError);
  assert.throws(() => new Ticker(Number.NaN), RangeError);
});
