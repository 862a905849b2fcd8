import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root, from dist/bench/ where the harness runs. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
/** Written by every full run of every scenario and system. */
export const PERFORMANCE_DOC = join(REPO_ROOT, 'docs', 'PERFORMANCE.md');
/** What profiles and experiments found, kept by hand and copied into PERFORMANCE_DOC. */
export const FINDINGS = join(REPO_ROOT, 'bench', 'findings.md');
/** The compiled harness directory (dist/bench/), where the sink's entry point lives. */
export const BENCH_DIST = fileURLToPath(new URL('.', import.meta.url));
