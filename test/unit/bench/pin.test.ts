import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { allowedCpus, cpusOf, formatCpuList, moveProcess, onCpus, onEveryCpu, parseCpuList, placement } from '../../../bench/pin.js';

test('on two cores the system under test gets the second to itself, the client and the sink the first', () => {
  const p = placement(true, [0, 1], true);
  assert.equal(p.system, '1');
  assert.equal(p.client, '0');
  assert.equal(p.all, '0-1');
  assert.match(p.description, /pinned with taskset: each system under test alone on CPU 1, the load client and the sink on CPU 0/);
});

test('on more cores the system gets the last, the client all the others', () => {
  const p = placement(true, [0, 1, 2, 3, 4, 5, 6, 7], true);
  assert.equal(p.system, '7');
  assert.equal(p.client, '0-6');
});

test('started on some CPUs only, the benchmark places its processes on those', () => {
  const p = placement(true, [2, 3, 6], true);
  assert.deepEqual([p.system, p.client, p.all], ['6', '2-3', '2-3,6']);
});

test('unpinned when asked, on one core, or without taskset, and the report says why', () => {
  assert.deepEqual([placement(false, [0, 1], true).system, placement(false, [0, 1], true).description], [undefined, 'unpinned (--no-pin): every process on any core']);
  assert.match(placement(true, [0], true).description, /one core only/);
  assert.match(placement(true, [0, 1], false).description, /taskset .* is not installed/);
  assert.equal(placement(true, [0, 1], false).client, undefined);
});

test('CPU lists are read as taskset and /proc write them, written back as ranges, and anything else is refused', () => {
  assert.deepEqual(parseCpuList('0-1'), [0, 1]);
  assert.deepEqual(parseCpuList('7-8, 0-2,5,1\n'), [0, 1, 2, 5, 7, 8]);
  assert.deepEqual(parseCpuList('3'), [3]);
  assert.equal(formatCpuList([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
  assert.equal(formatCpuList([4]), '4');
  for (const bad of ['0-1,x', '3-1', '', '1,,2']) assert.throws(() => parseCpuList(bad), new RegExp(`not a CPU list: "${bad}"`));
});

test('a pinned command runs under taskset -c, an unpinned one as it is', () => {
  const [cmd, args] = onCpus('/usr/bin/node', ['a.js', '--x'], '1');
  assert.match(cmd, /taskset$/);
  assert.deepEqual(args, ['-c', '1', '/usr/bin/node', 'a.js', '--x']);
  assert.deepEqual(onCpus('/usr/bin/node', ['a.js'], undefined), ['/usr/bin/node', ['a.js']]);
});

const start = placement(true);
const pinning = start.client !== undefined ? false : `pinning is not possible here: ${start.description}`;

/** A child that waits (30 s at most) until killed. */
function sleeper(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  child.on('error', () => {});
  return child;
}

test('a process started under taskset reads the CPUs it was given', { skip: pinning }, () => {
  const last = allowedCpus().at(-1) as number;
  const pin = new URL('../../../bench/pin.js', import.meta.url).href;
  const [cmd, args] = onCpus(process.execPath, ['--input-type=module', '-e', `import { allowedCpus } from '${pin}'; console.log(JSON.stringify(allowedCpus()))`], String(last));
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [last]);
});

// The unpinned scenario once asked for "every core" after the harness had pinned itself to the client's CPUs, and
// got those alone: every process of `--workers 2` ran on one core. This pins the test's own process as the harness
// pins itself, and starts a process in the unpinned phase as the harness starts the systems there.
test("what starts while the harness is on every CPU gets every CPU the benchmark started with, and the harness goes back to the client's", { skip: pinning }, async () => {
  const sink = sleeper();
  let child: ChildProcess | undefined;
  try {
    moveProcess(process.pid, start.client as string);
    moveProcess(sink.pid as number, start.client as string);
    await onEveryCpu(start, [sink.pid as number], async () => {
      child = sleeper();
      assert.deepEqual(cpusOf(sink.pid as number), parseCpuList(start.all));
    });
    assert.deepEqual(cpusOf(child?.pid as number), parseCpuList(start.all));
    assert.ok((cpusOf(child?.pid as number) ?? []).length >= 2);
    assert.deepEqual(cpusOf('self'), parseCpuList(start.client as string));
    assert.deepEqual(cpusOf(sink.pid as number), parseCpuList(start.client as string));
  } finally {
    child?.kill();
    sink.kill();
    moveProcess(process.pid, start.all);
  }
});

test("the harness goes back to the client's CPUs when what ran on every CPU failed", { skip: pinning }, async () => {
  try {
    moveProcess(process.pid, start.client as string);
    await assert.rejects(onEveryCpu(start, [], () => Promise.reject(new Error('failed'))), /failed/);
    assert.deepEqual(cpusOf('self'), parseCpuList(start.client as string));
  } finally {
    moveProcess(process.pid, start.all);
  }
});
