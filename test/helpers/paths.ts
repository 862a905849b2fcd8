import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root, whether running from dist/test/helpers or elsewhere. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}
