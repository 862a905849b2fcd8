import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { event, withDeadline } from '../../helpers/deadline.js';

/** The deadline's timer is unreferenced: a referenced one keeps the process alive while a test waits for it. */
async function keepingAlive(wait: () => Promise<void>): Promise<void> {
  const keep = setInterval(() => undefined, 1000);
  try {
    await wait();
  } finally {
    clearInterval(keep);
  }
}

test('withDeadline passes a value or an error through when the promise settles in time', async () => {
  assert.equal(await withDeadline(Promise.resolve(5), 1000, 'five'), 5);
  await assert.rejects(withDeadline(Promise.reject(new Error('own')), 1000, 'x'), /^Error: own$/);
});

test('withDeadline rejects naming what was awaited when the promise never settles', async () => {
  await keepingAlive(() =>
    assert.rejects(withDeadline(new Promise(() => undefined), 20, 'log line "listening"'), {
      message: 'timed out after 20 ms waiting for log line "listening"',
    }),
  );
});

test('event resolves with the arguments, rejects on error, and names the emitter and event by default', async () => {
  const emitter = new EventEmitter();
  const got = event(emitter, 'data');
  emitter.emit('data', 1, 2);
  assert.deepEqual(await got, [1, 2]);
  const failed = event(emitter, 'data');
  emitter.emit('error', new Error('boom'));
  await assert.rejects(failed, /boom/);
  await keepingAlive(() =>
    assert.rejects(event(emitter, 'close', undefined, 20), { message: "timed out after 20 ms waiting for EventEmitter 'close'" }),
  );
});
