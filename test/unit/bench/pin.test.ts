import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onCpus, placement } from '../../../bench/pin.js';

test('on two cores the system under test gets the second to itself, the client and the sink the first', () => {
  const p = placement(true, 2, true);
  assert.equal(p.system, '1');
  assert.equal(p.client, '0');
  assert.match(p.description, /pinned with taskset: each system under test alone on CPU 1, the load client and the sink on CPU 0/);
});

test('on more cores the system gets the last, the client all the others', () => {
  const p = placement(true, 8, true);
  assert.equal(p.system, '7');
  assert.equal(p.client, '0-6');
});

test('unpinned when asked, on one core, or without taskset, and the report says why', () => {
  assert.deepEqual([placement(false, 2, true).system, placement(false, 2, true).description], [undefined, 'unpinned (--no-pin): every process on any core']);
  assert.match(placement(true, 1, true).description, /one core only/);
  assert.match(placement(true, 2, false).description, /taskset .* is not installed/);
  assert.equal(placement(true, 2, false).client, undefined);
});

test('a pinned command runs under taskset -c, an unpinned one as it is', () => {
  const [cmd, args] = onCpus('/usr/bin/node', ['a.js', '--x'], '1');
  assert.match(cmd, /taskset$/);
  assert.deepEqual(args, ['-c', '1', '/usr/bin/node', 'a.js', '--x']);
  assert.deepEqual(onCpus('/usr/bin/node', ['a.js'], undefined), ['/usr/bin/node', ['a.js']]);
});
