import { ensureDevPki, DEV_PKI_FILES } from '../devpki/dev-pki.js';
import type { KeyType } from '../devpki/issue.js';
import { EXIT } from './exit-codes.js';
import { displayPath } from './paths.js';
import { join } from 'node:path';

export function devPki(dir: string, hosts: string[], keyType: KeyType, out: (line: string) => void): number {
  const result = ensureDevPki(dir, hosts, keyType);
  out(result.created ? `Created a development PKI in ${displayPath(dir)} (never use it in production):` : `A development PKI already exists in ${displayPath(dir)}:`);
  out(`  CA certificate (truststore):   ${join(displayPath(dir), DEV_PKI_FILES.ca)}`);
  out(`  server key + chain (keystore): ${join(displayPath(dir), DEV_PKI_FILES.server)}`);
  out(`  client certificate and key:    ${join(displayPath(dir), DEV_PKI_FILES.clientCert)}, ${join(displayPath(dir), DEV_PKI_FILES.clientKey)}`);
  return EXIT.OK;
}
