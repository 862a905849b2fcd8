import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuMeter, statTicks, treeCpuMs } from '../../../bench/cpu.js';

test('user, system and waited-for children\'s time are read after the command name, whatever it holds', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
  const stat = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 100 1000 10';
  assert.equal(statTicks(stat), 250 + 50 + 7 + 3);
  assert.throws(() => statTicks('garbage'), /not a \/proc\/PID\/stat line/);
});

test('the CPU of a process tree grows while it works, and a system with no process costs nothing', () => {
  assert.equal(treeCpuMs([]), 0);
  const meter = cpuMeter([process.pid]);
  // Work until the process itself has used 200 ms of CPU, however long that takes on a loaded machine.
  const start = process.cpuUsage();
  let x = 0;
  while (process.cpuUsage(start).user < 200_000) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
  const counted = meter();
  assert.ok(counted >= 150, `200 ms of work counted as ${counted} ms (the clock-tick granularity is 10 ms)`);
});
