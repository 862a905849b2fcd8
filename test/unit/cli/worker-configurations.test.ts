import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerConfigurations } from '../../../src/cli/worker-configurations.js';

test('a worker given the configuration before a reload was adopted is behind until it takes the reload', () => {
  const configurations = new WorkerConfigurations<string, string>('start');
  assert.deepEqual(configurations.give('w1'), { content: 'start', generation: 0 });
  assert.equal(configurations.behind('w1'), false);
  // The reload is checked and adopted while w2 starts: w2 was given the start, and the reload was not sent to it.
  configurations.give('w2');
  const reload = configurations.adopt('reload');
  assert.deepEqual(reload, { content: 'reload', generation: 1 });
  assert.equal(configurations.behind('w1'), true);
  assert.equal(configurations.behind('w2'), true);
  configurations.took('w1', 1);
  assert.equal(configurations.behind('w1'), false);
  assert.equal(configurations.behind('w2'), true, 'still behind: it is sent the reload once it has started');
  // A worker that starts now is given the reload, and is not behind.
  assert.deepEqual(configurations.give('w3'), reload);
  assert.equal(configurations.behind('w3'), false);
});

test('an answer to an older reload never puts a worker back; a worker forgotten is behind', () => {
  const configurations = new WorkerConfigurations<string, string>('start');
  configurations.give('w1');
  configurations.adopt('first');
  configurations.adopt('second');
  configurations.took('w1', 2);
  configurations.took('w1', 1);
  assert.equal(configurations.behind('w1'), false);
  configurations.forget('w1');
  assert.equal(configurations.behind('w1'), true);
});
