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
  /** CPU list of the load client and the sink; undefined: unpinned. */
  readonly client: string | undefined;
  /**
   * Every CPU the benchmark was started on, where the unpinned scenario runs. Taken before anything is pinned: once
   * the harness runs on the client's CPUs, what it is allowed (and Node's availableParallelism(), which reads the
   * same affinity) is those CPUs alone.
   */
  readonly all: string;
  /** What the report says about it. */
  readonly description: string;
}

/** `0-2,5` → [0, 1, 2, 5]: the list format of taskset -c and of /proc's Cpus_allowed_list. */
export function parseCpuList(list: string): number[] {
  const cpus = new Set<number>();
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    const from = Number(m?.[1]);
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!m || to < from) throw new Error(`not a CPU list: "${list}"`);
    for (let c = from; c <= to; c++) cpus.add(c);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** [0, 1, 2, 5] → `0-2,5`. */
export function formatCpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === (cpus[j] as number) + 1) j++;
    parts.push(j === i ? String(cpus[i]) : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The CPUs process `pid` may run on now, from /proc (Linux); undefined where /proc does not say. */
export function cpusOf(pid: number | 'self'): number[] | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
  return m ? parseCpuList(m[1] as string) : undefined;
}

/** The CPUs this process may run on now; 0..n-1 where /proc does not say (and taskset, Linux's, is not there). */
export function allowedCpus(): number[] {
  return cpusOf('self') ?? Array.from({ length: availableParallelism() }, (_, i) => i);
}

/**
 * The placement over `cpus` (the CPUs the benchmark may use); `pin` false (or no taskset, or one core) leaves
 * everything unpinned.
 */
export function placement(pin: boolean, cpus: readonly number[] = allowedCpus(), hasTaskset = which('taskset', ['/usr/bin', '/bin']) !== undefined): Placement {
  const all = formatCpuList(cpus);
  if (!pin) return { system: undefined, client: undefined, all, description: 'unpinned (--no-pin): every process on any core' };
  if (cpus.length < 2) return { system: undefined, client: undefined, all, description: 'unpinned: one core only' };
  if (!hasTaskset) return { system: undefined, client: undefined, all, description: 'unpinned: taskset (util-linux) is not installed' };
  const system = String(cpus[cpus.length - 1]);
  const client = formatCpuList(cpus.slice(0, -1));
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
  const r = spawnSync(which('taskset', ['/usr/bin', '/bin']) ?? 'taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`taskset could not move process ${pid} to CPU ${cpus}`);
}

/**
 * Runs `fn` with the harness and `pids` (the sink) on every CPU of the placement, so that what `fn` starts inherits
 * them all, then puts them back on the client's CPUs, whatever `fn` did. Unpinned placements move nothing.
 */
export async function onEveryCpu<T>(place: Placement, pids: readonly number[], fn: () => Promise<T>): Promise<T> {
  const client = place.client;
  if (client === undefined) return fn();
  for (const pid of [process.pid, ...pids]) moveProcess(pid, place.all);
  try {
    return await fn();
  } finally {
    for (const pid of [process.pid, ...pids]) moveProcess(pid, client);
  }
}
