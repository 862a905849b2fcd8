import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownFileLimits, parseFileLimits, rerunWithFileLimit, withFileLimit } from '../../../../bench/systems/limits.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
`;

test('the open-files line of /proc/<pid>/limits', () => {
  assert.deepEqual(parseFileLimits(LIMITS), { soft: 1024, hard: 524288 });
  assert.deepEqual(parseFileLimits(LIMITS.replace('524288', 'unlimited')), { soft: 1024, hard: Number.MAX_SAFE_INTEGER });
  assert.equal(parseFileLimits('nothing here'), undefined);
});

test('a command is wrapped in prlimit only when its soft limit must rise', () => {
  const { soft } = ownFileLimits();
  assert.deepEqual(withFileLimit('/bin/true', ['a'], soft), ['/bin/true', ['a']]);
  const [cmd, args] = withFileLimit('/bin/true', ['a'], soft + 1);
  if (cmd !== '/bin/true') {
    assert.match(cmd, /prlimit$/);
    assert.match(args[0] as string, /^--nofile=\d+:/);
    assert.deepEqual(args.slice(1), ['--', '/bin/true', 'a']);
  }
});

test('a harness runs again under prlimit only when its limit is too low, and never twice', () => {
  const { soft } = ownFileLimits();
  assert.equal(rerunWithFileLimit(soft, 'WSS_TEST_RERUN_MARKER'), undefined, 'the limit is already enough');
  process.env['WSS_TEST_RERUN_MARKER'] = '1';
  try {
    assert.equal(rerunWithFileLimit(soft + 1, 'WSS_TEST_RERUN_MARKER'), undefined, 'this is the second run already');
  } finally {
    delete process.env['WSS_TEST_RERUN_MARKER'];
  }
});
