import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root, from dist/bench/ where the harness runs. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
/** The compiled harness directory (dist/bench/), where the sink's entry point lives. */
export const BENCH_DIST = fileURLToPath(new URL('.', import.meta.url));
