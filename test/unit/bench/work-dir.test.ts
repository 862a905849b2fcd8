import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inWorkDir, ProcessGroup } from '../../../bench/procs.js';

test('inWorkDir: the body gets a fresh directory; afterwards its processes are stopped, then it is removed', async () => {
  const procs = new ProcessGroup();
  let dir = '';
  let exitedBeforeReturn = false;
  await inWorkDir('wss-test-', procs, async (work) => {
    dir = work;
    assert.ok(existsSync(work));
    writeFileSync(join(work, 'config.xml'), '<gateway-config/>');
    const child = procs.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    child.once('exit', () => (exitedBeforeReturn = true));
  });
  assert.equal(exitedBeforeReturn, true, 'the child was stopped before inWorkDir returned');
  assert.equal(existsSync(dir), false);
});

test('inWorkDir: a body that throws still cleans up, and its error is what the caller gets', async () => {
  const procs = new ProcessGroup();
  let dir = '';
  await assert.rejects(
    inWorkDir('wss-test-', procs, async (work) => {
      dir = work;
      throw new Error('scenario failed');
    }),
    /scenario failed/,
  );
  assert.equal(existsSync(dir), false);
});
