/**
 * Where each process runs. By default the system under test gets a core of its own (the last one) and the load
 * client and the sink share the others, so that what one system costs is not moved by the client's work or by the
 * scheduler; the `workers` scenario runs unpinned on purpose. `taskset` (util-linux) does the pinning; without it
 * or with a single core, everything runs unpinned and the report says so.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { which } from './systems/which.js';

export interface Placement {
  /** CPU list (taskset -c) for the systems under test; undefined: unpinned. */
  readonly system: string | undefined;
  /** CPU list of the load client and the sink. */
  readonly client: string | undefined;
  /**
   * Every CPU the benchmark was started on, where the unpinned scenario moves the client and the sink back to.
   * Taken before anything is pinned: once the harness runs on the client's CPUs, what it is allowed (and Node's
   * availableParallelism(), which reads the same affinity) is those CPUs alone.
   */
  readonly all: string;
  /** What the report says about it. */
  readonly description: string;
}

/** `0-2,5` → [0, 1, 2, 5]: the list format of taskset -c and of /proc's Cpus_allowed_list. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`not a CPU list: "${list}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let c = from; c <= to; c++) cpus.push(c);
  }
  return cpus;
}

/** The CPUs this process may run on now (Linux), or 0..n-1 where /proc does not say. */
export function allowedCpus(): number[] {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'latin1'));
    if (m) return parseCpuList(m[1]!);
  } catch {
    // not Linux: taskset is not there either, so nothing is pinned
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}

/**
 * The placement over `cpus` (the CPUs the benchmark may use); `pin` false (or no taskset, or one core) leaves
 * everything unpinned.
 */
export function placement(pin: boolean, cpus: readonly number[] = allowedCpus(), hasTaskset = which('taskset', ['/usr/bin', '/bin']) !== undefined): Placement {
  const all = cpus.join(',');
  if (!pin) return { system: undefined, client: undefined, all, description: 'unpinned (--no-pin): every process on any core' };
  if (cpus.length < 2) return { system: undefined, client: undefined, all, description: 'unpinned: one core only' };
  if (!hasTaskset) return { system: undefined, client: undefined, all, description: 'unpinned: taskset (util-linux) is not installed' };
  const system = String(cpus[cpus.length - 1]);
  const client = cpus.slice(0, -1).join(',');
  return {
    system,
    client,
    all,
    description: `pinned with taskset: each system under test alone on CPU ${system}, the load client and the sink on CPU ${client}`,
  };
}

/** `cmd args` run on `cpus` (taskset -c), or unchanged when cpus is undefined. */
export function onCpus(cmd: string, args: readonly string[], cpus: string | undefined): [string, string[]] {
  if (cpus === undefined) return [cmd, [...args]];
  return [which('taskset', ['/usr/bin', '/bin']) ?? 'taskset', ['-c', cpus, cmd, ...args]];
}

/** Moves a running process, all its threads, to `cpus`. */
export function moveProcess(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`taskset could not move process ${pid} to CPU ${cpus}`);
}
