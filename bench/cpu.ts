/**
 * CPU time of a serving process tree, from /proc (Linux only): user + system time of every process in it, and of
 * its children that have exited and were waited for (websockify forks a process per connection; their time is
 * added to the parent's when they end, so the sum holds across a fork's exit).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processTree } from './memory.js';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime + cutime + cstime of one /proc/PID/stat line, in clock ticks. */
export function statTicks(stat: string): number {
  // The command name is in parentheses and may hold spaces: the fields after its closing one are fixed (state is
  // field 3, utime 14, stime 15, cutime 16, cstime 17).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(rest[n - 3]);
  const ticks = field(14) + field(15) + field(16) + field(17);
  if (!Number.isFinite(ticks)) throw new Error(`not a /proc/PID/stat line: ${stat.slice(0, 80)}`);
  return ticks;
}

/** Milliseconds of CPU the tree under `roots` has used so far; 0 without roots (a system with no process). */
export function treeCpuMs(roots: readonly number[]): number {
  if (roots.length === 0) return 0;
  let ticks = 0;
  for (const pid of processTree(roots)) {
    try {
      ticks += statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      continue; // exited while we looked
    }
  }
  return (ticks * 1000) / clockTicks();
}

/** CPU of the tree from now until the returned function is called, in milliseconds. */
export function cpuMeter(roots: readonly number[]): () => number {
  const start = treeCpuMs(roots);
  return () => treeCpuMs(roots) - start;
}
