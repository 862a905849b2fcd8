import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineList } from '../../../src/timers/deadlines.js';
import { fakeClock } from '../../helpers/fake-clock.js';

test('deadlines fire in order, each once, after their duration', () => {
  const clock = fakeClock();
  const list = new DeadlineList(100, clock);
  const fired: string[] = [];
  list.add(() => fired.push('a'));
  clock.advance(40);
  list.add(() => fired.push('b'));
  clock.advance(59);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, ['a']);
  clock.advance(40);
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(list.size, 0);
  assert.equal(clock.pending(), 0, 'no timer left once the list is empty');
});

test('one timer serves the whole list, and a cancelled deadline never fires', () => {
  const clock = fakeClock();
  const list = new DeadlineList(100, clock);
  const fired: number[] = [];
  const deadlines = Array.from({ length: 1000 }, (_, i) => list.add(() => fired.push(i)));
  assert.equal(clock.pending(), 1);
  for (let i = 0; i < 1000; i += 2) deadlines[i]?.cancel();
  deadlines[0]?.cancel(); // twice is harmless
  assert.equal(list.size, 500);
  clock.advance(100);
  assert.equal(fired.length, 500);
  assert.ok(fired.every((i) => i % 2 === 1));
  deadlines[1]?.cancel(); // after it fired, harmless
  assert.equal(list.size, 0);
});

test('cancelling every deadline stops the timer; clear() drops them unrun', () => {
  const clock = fakeClock();
  const list = new DeadlineList(100, clock);
  const d = list.add(() => assert.fail('cancelled deadline fired'));
  d.cancel();
  assert.equal(clock.pending(), 0);
  list.add(() => assert.fail('cleared deadline fired'));
  list.add(() => assert.fail('cleared deadline fired'));
  list.clear();
  clock.advance(500);
  assert.equal(list.size, 0);
});

test('a deadline added while others fire waits its own full duration', () => {
  const clock = fakeClock();
  const list = new DeadlineList(100, clock);
  const fired: string[] = [];
  list.add(() => {
    fired.push('first');
    list.add(() => fired.push('added by first'));
  });
  clock.advance(100);
  assert.deepEqual(fired, ['first']);
  clock.advance(99);
  assert.deepEqual(fired, ['first']);
  clock.advance(1);
  assert.deepEqual(fired, ['first', 'added by first']);
});

test('a duration of 0 or less is refused', () => {
  assert.throws(() => new DeadlineList(0), RangeError);
});
