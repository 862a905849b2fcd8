import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Coalescing } from '../../../src/cli/coalesce.js';

/** A job whose runs finish when the test says so. */
function controlled(): { job: (why: string) => Promise<string>; runs: string[]; finish: (fail?: boolean) => void } {
  const runs: string[] = [];
  const pending: { resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  return {
    runs,
    job: (why) =>
      new Promise<string>((resolve, reject) => {
        runs.push(why);
        pending.push({ resolve: () => resolve(`done: ${why}`), reject: () => reject(new Error(`failed: ${why}`)) });
      }),
    finish: (fail = false) => {
      const next = pending.shift();
      assert.ok(next, 'a run to finish');
      if (fail) next.reject(new Error('x'));
      else next.resolve('');
    },
  };
}

test('requests made while a run is under way share one more run after it', async () => {
  const { job, runs, finish } = controlled();
  const c = new Coalescing(job);
  const first = c.request('a');
  const second = c.request('b');
  const third = c.request('c');
  assert.equal(second, third, 'the same further run');
  assert.deepEqual(runs, ['a']);
  finish();
  assert.equal(await first, 'done: a');
  await Promise.resolve();
  assert.deepEqual(runs, ['a', 'b'], 'one more run, for the first request made meanwhile');
  finish();
  assert.equal(await second, 'done: b');
  // Nothing under way: the next request runs at once.
  const fourth = c.request('d');
  assert.deepEqual(runs, ['a', 'b', 'd']);
  finish();
  assert.equal(await fourth, 'done: d');
});

test('a run that fails does not lose the requests made during it', async () => {
  const { job, runs, finish } = controlled();
  const c = new Coalescing(job);
  const first = c.request('a');
  const second = c.request('b');
  finish(true);
  await assert.rejects(first, /failed: a/);
  await Promise.resolve();
  assert.deepEqual(runs, ['a', 'b']);
  finish();
  assert.equal(await second, 'done: b');
});
