import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ticker, TICKER_SLOTS, type Tickable } from '../../../src/timers/ticker.js';
import { fakeClock } from '../../helpers/fake-clock.js';

function counter(): Tickable & { ticks: number } {
  return {
    ticks: 0,
    tick() {
      this.ticks++;
    },
  };
}

const ticked = (members: readonly { ticks: number }[]) => members.filter((m) => m.ticks > 0).length;

test('members of one period share one timer, and each is ticked once a period', () => {
  const clock = fakeClock();
  const ticker = new Ticker(160, clock);
  const members = Array.from({ length: 50 }, counter);
  for (const m of members) ticker.add(m);
  assert.equal(clock.pending(), 1);
  clock.advance(160);
  assert.ok(members.every((m) => m.ticks === 1));
  clock.advance(480);
  assert.ok(members.every((m) => m.ticks === 4));
  assert.equal(clock.pending(), 1);
});

test('the members are spread over the period, not ticked in one burst', () => {
  const clock = fakeClock();
  const ticker = new Ticker(160, clock);
  const members = Array.from({ length: 64 }, counter);
  for (const m of members) ticker.add(m);
  const perSlot = 64 / TICKER_SLOTS;
  for (let slot = 1; slot <= TICKER_SLOTS; slot++) {
    clock.advance(160 / TICKER_SLOTS);
    assert.equal(ticked(members), slot * perSlot, `after slot ${slot}`);
  }
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
  const ticker = new Ticker(160, clock);
  const late = counter();
  const self: Tickable & { ticks: number } = {
    ticks: 0,
    tick() {
      this.ticks++;
      ticker.delete(self);
      ticker.delete(gone);
      ticker.add(late);
    },
  };
  // Dealt out in turn: `self` has the first slot, `gone` the second.
  const gone = counter();
  ticker.add(self);
  ticker.add(gone);
  clock.advance(160);
  assert.deepEqual([self.ticks, gone.ticks, late.ticks], [1, 0, 1]);
  clock.advance(160);
  assert.deepEqual([self.ticks, gone.ticks, late.ticks], [1, 0, 2]);
  assert.equal(ticker.size, 1);
  ticker.delete(late);
  assert.equal(clock.pending(), 0);
});

test('a member that throws does not stop the ticks of the others', () => {
  const clock = fakeClock();
  const ticker = new Ticker(160, clock);
  let throws = true;
  ticker.add({
    tick() {
      if (throws) {
        throws = false;
        throw new Error('boom');
      }
    },
  });
  const other = counter();
  ticker.add(other);
  assert.throws(() => clock.advance(160), /boom/);
  assert.equal(clock.pending(), 1, 'the next tick was set before the member threw');
  clock.advance(320);
  assert.equal(other.ticks, 2);
});

test('a period shorter than the slots has one slot per millisecond; a period must be positive', () => {
  const clock = fakeClock();
  const ticker = new Ticker(2, clock);
  const members = [counter(), counter(), counter()];
  for (const m of members) ticker.add(m);
  clock.advance(2);
  assert.deepEqual(members.map((m) => m.ticks), [1, 1, 1]);
  assert.throws(() => new Ticker(0), RangeError);
  assert.throws(() => new Ticker(Number.NaN), RangeError);
});
