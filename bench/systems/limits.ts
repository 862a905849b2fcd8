/**
 * Open-file limits. Thousands of idle connections need more descriptors than a default soft limit of 1024; a child
 * may raise its soft limit up to the hard one, which `prlimit` does for a command it starts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { which } from './which.js';

export interface FileLimits {
  readonly soft: number;
  readonly hard: number;
}

export function parseFileLimits(limitsText: string): FileLimits | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limitsText);
  if (!m) return undefined;
  const n = (v: string | undefined) => (v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v));
  return { soft: n(m[1]), hard: n(m[2]) };
}

export function ownFileLimits(): FileLimits {
  try {
    return parseFileLimits(readFileSync('/proc/self/limits', 'utf8')) ?? { soft: 1024, hard: 1024 };
  } catch {
    return { soft: 1024, hard: 1024 };
  }
}

/** The command and arguments that run `cmd` with a soft open-file limit of `want` (capped at the hard limit). */
export function withFileLimit(cmd: string, args: readonly string[], want: number): [string, string[]] {
  const { soft, hard } = ownFileLimits();
  const target = Math.min(want, hard);
  const prlimit = which('prlimit', ['/usr/bin', '/bin']);
  if (soft >= target || prlimit === undefined) return [cmd, [...args]];
  return [prlimit, [`--nofile=${target}:${hard === Number.MAX_SAFE_INTEGER ? 'unlimited' : hard}`, '--', cmd, ...args]];
}

/**
 * A harness that holds thousands of connections itself raises its own soft limit by running again under prlimit:
 * Node cannot change its own limit. Returns the exit status of that second run, or undefined when the limit is
 * already enough (or cannot rise): then carry on in this process. `marker` names the environment variable that
 * tells the second run it is one, so it never re-runs itself again.
 */
export function rerunWithFileLimit(need: number, marker: string): number | undefined {
  const { soft, hard } = ownFileLimits();
  if (soft >= need || process.env[marker] !== undefined) return undefined;
  const prlimit = which('prlimit', ['/usr/bin', '/bin']);
  if (!prlimit || hard <= soft) return undefined;
  const target = Math.min(need, hard);
  const r = spawnSync(prlimit, [`--nofile=${target}:${hard === Number.MAX_SAFE_INTEGER ? 'unlimited' : hard}`, '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [marker]: '1' },
  });
  return r.status ?? 1;
}
