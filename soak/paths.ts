import { join } from 'node:path';
import { REPO_ROOT } from '../bench/paths.js';

/** Quick runs, partial runs and every run's JSON land here (not committed). */
export const SOAK_RESULTS_DIR = join(REPO_ROOT, 'soak', 'results');
/** The last full run of every scenario, committed with the code it measured. */
export const RELIABILITY_DOC = join(REPO_ROOT, 'docs', 'RELIABILITY.md');
export const DEFAULT_CONFIG = join(REPO_ROOT, 'conf', 'gateway-config.xml');
export const DEV_PKI_DIR = join(REPO_ROOT, 'conf', 'dev-pki');
