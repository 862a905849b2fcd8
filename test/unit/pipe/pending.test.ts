import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PendingWrites } from '../../../src/pipe/pending.js';

test('completions release the oldest writes first', () => {
  const p = new PendingWrites();
  p.push(10);
  p.push(20);
  p.push(5);
  assert.equal(p.bytes, 35);
  assert.equal(p.complete(), 25);
  assert.equal(p.complete(), 5);
  assert.equal(p.count, 1);
  assert.equal(p.complete(), 0);
  assert.equal(p.complete(), 0, 'a stray completion changes nothing');
  assert.equal(p.count, 0);
});

test('matches a plain queue through growth and wrap-around', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.nat({ max: 70_000 }), fc.constant(-1)), { maxLength: 400 }), (ops) => {
      const p = new PendingWrites();
      const model: number[] = [];
      for (const op of ops) {
        if (op === -1) {
          model.shift();
          p.complete();
        } else {
          model.push(op);
          p.push(op);
        }
        assert.equal(p.count, model.length);
        assert.equal(p.bytes, model.reduce((a, b) => a + b, 0));
      }
    }),
  );
});
