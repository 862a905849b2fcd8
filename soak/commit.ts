/** Which code a run measured: the commit, its branch, and whether the working tree had changes beyond the results. */
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../bench/paths.js';

export interface CommitInfo {
  readonly commit: string;
  readonly branch: string;
  /** Changed files other than the soak's own outputs, when there are any. */
  readonly changes: number;
}

function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', [...args], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function describeCommit(): CommitInfo | undefined {
  const commit = git(['rev-parse', '--short=12', 'HEAD']);
  if (commit === undefined) return undefined;
  const status = git(['status', '--porcelain', '--', '.', ':(exclude)docs/RELIABILITY.md', ':(exclude)soak/results']) ?? '';
  return {
    commit,
    branch: git(['rev-parse', '--abbrev-ref', 'HEAD']) ?? '?',
    changes: status === '' ? 0 : status.split('\n').length,
  };
}
