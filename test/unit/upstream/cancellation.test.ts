import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Cancellation } from '../../../src/upstream/cancellation.js';

test('cancel() calls each listener once, in order, with the reason, and later calls do nothing', () => {
  const c = new Cancellation();
  const calls: string[] = [];
  c.onCancel((r) => calls.push(`a:${String(r)}`));
  c.onCancel((r) => calls.push(`b:${String(r)}`));
  assert.equal(c.cancelled, false);
  assert.equal(c.reason, undefined);
  c.cancel('gone');
  c.cancel('again');
  assert.deepEqual(calls, ['a:gone', 'b:gone']);
  assert.equal(c.cancelled, true);
  assert.equal(c.reason, 'gone');
});

test('a listener added after the cancel is called at once; one removed before it never is', () => {
  const c = new Cancellation();
  const calls: string[] = [];
  const removed = (): void => {
    calls.push('removed');
  };
  c.onCancel(removed);
  c.offCancel(removed);
  c.offCancel(removed); // not there any more: nothing happens
  c.cancel(7);
  c.onCancel((r) => calls.push(`late:${String(r)}`));
  assert.deepEqual(calls, ['late:7']);
});

test('a listener that removes another during the cancel does not stop it: the cancel calls those it had', () => {
  const c = new Cancellation();
  const calls: string[] = [];
  const second = (): void => {
    calls.push('second');
  };
  c.onCancel(() => {
    calls.push('first');
    c.offCancel(second);
  });
  c.onCancel(second);
  c.cancel();
  assert.deepEqual(calls, ['first', 'second']);
});

test('whatever listeners are added and removed, exactly those left are called, once each, in order', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(5)), { maxLength: 30 }), (steps) => {
      const c = new Cancellation();
      const listeners = Array.from({ length: 6 }, (_, i) => (): void => {
        calls.push(i);
      });
      const calls: number[] = [];
      const expected: number[] = [];
      for (const [add, i] of steps) {
        if (add) {
          c.onCancel(listeners[i] as () => void);
          expected.push(i);
        } else {
          c.offCancel(listeners[i] as () => void);
          const at = expected.indexOf(i);
          if (at >= 0) expected.splice(at, 1);
        }
      }
      c.cancel();
      c.cancel();
      assert.deepEqual(calls, expected);
    }),
  );
});
