import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { allowedCpus, moveProcess, onCpus, parseCpuList, placement } from '../../../bench/pin.js';

test('on two cores the system under test gets the second to itself, the client and the sink the first', () => {
  const p = placement(true, [0, 1], true);
  assert.equal(p.system, '1');
  assert.equal(p.client, '0');
  assert.equal(p.all, '0,1');
  assert.match(p.description, /pinned with taskset: each system under test alone on CPU 1, the load client and the sink on CPU 0/);
});

test('on more cores the system gets the last, the client all the others', () => {
  const p = placement(true, [0, 1, 2, 3, 4, 5, 6, 7], true);
  assert.equal(p.system, '7');
  assert.equal(p.client, '0,1,2,3,4,5,6');
});

test('started on some CPUs only, the benchmark places its processes on those', () => {
  const p = placement(true, [2, 3], true);
  assert.deepEqual([p.system, p.client, p.all], ['3', '2', '2,3']);
});

test('unpinned when asked, on one core, or without taskset, and the report says why', () => {
  assert.deepEqual([placement(false, [0, 1], true).system, placement(false, [0, 1], true).description], [undefined, 'unpinned (--no-pin): every process on any core']);
  assert.match(placement(true, [0], true).description, /one core only/);
  assert.match(placement(true, [0, 1], false).description, /taskset .* is not installed/);
  assert.equal(placement(true, [0, 1], false).client, undefined);
});

test('CPU lists are read as taskset and /proc write them, and anything else is refused', () => {
  assert.deepEqual(parseCpuList('0-1'), [0, 1]);
  assert.deepEqual(parseCpuList('0-2,5, 7-8\n'), [0, 1, 2, 5, 7, 8]);
  assert.deepEqual(parseCpuList('3'), [3]);
  assert.throws(() => parseCpuList('0-1,x'), /not a CPU list: "0-1,x"/);
});

test('a pinned command runs under taskset -c, an unpinned one as it is', () => {
  const [cmd, args] = onCpus('/usr/bin/node', ['a.js', '--x'], '1');
  assert.match(cmd, /taskset$/);
  assert.deepEqual(args, ['-c', '1', '/usr/bin/node', 'a.js', '--x']);
  assert.deepEqual(onCpus('/usr/bin/node', ['a.js'], undefined), ['/usr/bin/node', ['a.js']]);
});

const canPin = allowedCpus().length >= 2 && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
const cpusOf = (pid: number): string => /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1]!;

// The unpinned scenario once asked for "every core" after the harness had pinned itself to the client's CPUs, and
// got those alone: every process of `--workers 2` ran on one core. The placement's list is taken before anything is
// pinned, and this test pins itself as the harness does.
test("the harness pinned to the client's CPUs moves a process back to every CPU it started with", { skip: canPin ? false : 'needs taskset and two CPUs' }, async () => {
  const place = placement(true);
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    const pid = child.pid!;
    moveProcess(process.pid, place.client!);
    moveProcess(pid, place.client!);
    assert.deepEqual(parseCpuList(cpusOf(pid)), parseCpuList(place.client!));
    moveProcess(pid, place.all);
    assert.deepEqual(parseCpuList(cpusOf(pid)), parseCpuList(place.all));
    assert.ok(parseCpuList(cpusOf(pid)).length >= 2);
  } finally {
    child.kill();
    moveProcess(process.pid, place.all);
  }
});
