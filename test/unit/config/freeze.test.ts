import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze } from '../../../src/config/freeze.js';

test('deepFreeze freezes nested objects and arrays and returns its argument', () => {
  const value = { a: [{ b: 1 }], c: { d: { e: 'x' } }, u: undefined };
  assert.equal(deepFreeze(value), value);
  assert.ok(Object.isFrozen(value) && Object.isFrozen(value.a) && Object.isFrozen(value.a[0]) && Object.isFrozen(value.c.d));
  assert.throws(() => {
    (value.c.d as { e: string }).e = 'y';
  }, TypeError);
  assert.equal(deepFreeze(3), 3);
});
