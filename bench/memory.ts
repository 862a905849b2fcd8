/** Memory of a serving process tree, read from /proc (Linux only). */
import { readdirSync, readFileSync } from 'node:fs';

export interface TreeMemory {
  /** Sum of VmRSS over the tree. Counts pages shared between forked processes once per process. */
  readonly rssKiB: number;
  /** Sum of Pss (shared pages divided among their users): the tree's real share of memory. */
  readonly pssKiB: number;
  readonly processes: number;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields after its closing one are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/** The given processes and all their descendants. */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const ppid = parentOf(pid);
    if (ppid === undefined) continue;
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out = new Set<number>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    if (out.has(pid)) continue;
    out.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...out];
}

function fieldKiB(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export function treeMemory(roots: readonly number[]): TreeMemory {
  let rssKiB = 0;
  let pssKiB = 0;
  let processes = 0;
  for (const pid of processTree(roots)) {
    try {
      rssKiB += fieldKiB(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
      processes++;
    } catch {
      continue; // exited while we looked
    }
    try {
      pssKiB += fieldKiB(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {
      // smaps_rollup needs Linux 4.14 and ptrace access; Pss is then under-counted, RSS still holds.
    }
  }
  return { rssKiB, pssKiB, processes };
}
