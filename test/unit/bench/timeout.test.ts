import { test } from 'node:test';
import assert from 'node:assert/strict';
import { within } from '../../../bench/timeout.js';

test('a promise that settles in time passes through, value or error', async () => {
  assert.equal(await within(Promise.resolve(5), 1000, 'x'), 5);
  await assert.rejects(within(Promise.reject(new Error('own')), 1000, 'x'), /own/);
});

test('a promise that never settles is refused, naming what was awaited', async () => {
  await assert.rejects(within(new Promise(() => undefined), 5, 'the echo'), /the echo did not happen within 0 s/);
});
