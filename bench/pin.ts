/**
 * Where each process runs. By default the system under test gets a core of its own (the last one) and the load
 * client and the sink share the others, so that what one system costs is not moved by the client's work or by the
 * scheduler; the `workers` scenario runs unpinned on purpose. `taskset` (util-linux) does the pinning; without it
 * or with a single core, everything runs unpinned and the report says so.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { which } from './systems/which.js';

export interface Placement {
  /** CPU list (taskset -c) for the systems under test; undefined: unpinned. */
  readonly system: string | undefined;
  /** CPU list of the load client and the sink. */
  readonly client: string | undefined;
  /** What the report says about it. */
  readonly description: string;
}

/** The placement for `cpus` cores; `pin` false (or no taskset, or one core) leaves everything unpinned. */
export function placement(pin: boolean, cpus = availableParallelism(), hasTaskset = which('taskset', ['/usr/bin', '/bin']) !== undefined): Placement {
  if (!pin) return { system: undefined, client: undefined, description: 'unpinned (--no-pin): every process on any core' };
  if (cpus < 2) return { system: undefined, client: undefined, description: 'unpinned: one core only' };
  if (!hasTaskset) return { system: undefined, client: undefined, description: 'unpinned: taskset (util-linux) is not installed' };
  const last = cpus - 1;
  const client = last === 1 ? '0' : `0-${last - 1}`;
  return {
    system: String(last),
    client,
    description: `pinned with taskset: each system under test alone on CPU ${last}, the load client and the sink on CPU ${client}`,
  };
}

/** `cmd args` run on `cpus` (taskset -c), or unchanged when cpus is undefined. */
export function onCpus(cmd: string, args: readonly string[], cpus: string | undefined): [string, string[]] {
  if (cpus === undefined) return [cmd, [...args]];
  return [which('taskset', ['/usr/bin', '/bin']) ?? 'taskset', ['-c', cpus, cmd, ...args]];
}

/** Moves a running process, all its threads, to `cpus` (every core when undefined). */
export function moveProcess(pid: number, cpus: string | undefined): void {
  const list = cpus ?? `0-${availableParallelism() - 1}`;
  const r = spawnSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`taskset could not move process ${pid} to CPU ${list}`);
}
