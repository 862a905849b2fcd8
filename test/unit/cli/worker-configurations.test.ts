import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerConfigurations } from '../../../src/cli/worker-configurations.js';

test('a proposed reload is in force once a worker takes it; a worker given the configuration before it is behind', () => {
  const configurations = new WorkerConfigurations<string, string>('start');
  assert.deepEqual(configurations.give('w1'), { content: 'start', generation: 0 });
  const proposal = configurations.propose('reload');
  assert.deepEqual(proposal, { content: 'reload', generation: 1 });
  // w2 starts while the reload is under way: it is given what is in force, the start.
  assert.deepEqual(configurations.give('w2'), { content: 'start', generation: 0 });
  assert.equal(configurations.behind('w2'), false, 'nothing newer is in force yet');
  assert.equal(configurations.took('w1', 1), true);
  assert.deepEqual(configurations.inForce, proposal);
  assert.equal(configurations.behind('w1'), false);
  assert.equal(configurations.behind('w2'), true, 'it is sent the reload once it has started');
  assert.deepEqual(configurations.give('w3'), proposal);
});

test('a reload no worker takes is never in force: a worker that starts is given the configuration before it', () => {
  const configurations = new WorkerConfigurations<string, string>('start');
  configurations.give('w1');
  configurations.propose('cannot bind');
  assert.deepEqual(configurations.give('w2'), { content: 'start', generation: 0 });
  assert.equal(configurations.behind('w1'), false);
  // A later reload that a worker takes is in force, and the one before it is dropped.
  const next = configurations.propose('fixed');
  assert.equal(configurations.took('w1', next.generation), true);
  assert.deepEqual(configurations.inForce, next);
  configurations.adopt(1);
  assert.deepEqual(configurations.inForce, next, 'an older proposal never replaces a newer one');
});

test('with no worker to take it, a proposal is adopted; an answer to an older reload never puts a worker back', () => {
  const configurations = new WorkerConfigurations<string, string>('start');
  const first = configurations.propose('first');
  configurations.adopt(first.generation);
  assert.deepEqual(configurations.inForce, first);
  configurations.give('w1');
  const second = configurations.propose('second');
  configurations.took('w1', second.generation);
  assert.equal(configurations.took('w1', first.generation), false);
  assert.equal(configurations.behind('w1'), false);
  configurations.forget('w1');
  assert.equal(configurations.behind('w1'), true);
});
