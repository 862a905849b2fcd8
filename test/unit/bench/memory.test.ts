import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { processTree, treeMemory } from '../../../bench/memory.js';
import { event } from '../../helpers/deadline.js';

test('the tree of a process includes its children and the memory sums over them', async () => {
  const child = spawn(process.execPath, ['-e', 'process.stdin.resume()'], { stdio: ['pipe', 'ignore', 'ignore'] });
  await event(child, 'spawn', 'the child process to spawn');
  try {
    const tree = processTree([process.pid]);
    assert.equal(tree[0], process.pid);
    assert.ok(tree.includes(child.pid as number));
    const own = treeMemory([child.pid as number]);
    const all = treeMemory([process.pid]);
    assert.equal(own.processes, 1);
    assert.ok(own.rssKiB > 1000, `a Node process has more than 1 MiB resident, got ${own.rssKiB} KiB`);
    assert.ok(all.rssKiB > own.rssKiB);
    assert.ok(all.processes >= 2);
  } finally {
    const exited = event(child, 'exit', 'the child process to exit');
    child.stdin?.end();
    child.kill();
    await exited;
  }
});

test('a process that does not exist has no memory', () => {
  assert.deepEqual(treeMemory([2 ** 22 + 12345]), { rssKiB: 0, pssKiB: 0, processes: 0 });
});
