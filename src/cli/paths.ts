import { fileURLToPath } from 'node:url';
import { isAbsolute, join, relative, resolve } from 'node:path';

/** The installation's root (where conf/ lives), like Kaazing's GATEWAY_HOME. */
export const GATEWAY_HOME = fileURLToPath(new URL('../../../', import.meta.url));
export const DEFAULT_CONFIG = join(GATEWAY_HOME, 'conf', 'gateway-config.xml');
export const DEV_PKI_DIR = join(GATEWAY_HOME, 'conf', 'dev-pki');

/** How a path is shown to the user: relative to the working directory when it lies below it. */
export function displayPath(path: string): string {
  const abs = resolve(path);
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}
