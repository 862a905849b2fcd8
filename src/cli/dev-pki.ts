import { isIP } from 'node:net';
import { join } from 'node:path';
import { ensureDevPki, DEV_PKI_FILES } from '../devpki/dev-pki.js';
import type { KeyType } from '../devpki/issue.js';
import { GatewayError } from '../errors.js';
import { HOST_NAME } from './connect-args.js';
import { EXIT } from './exit-codes.js';
import { displayPath } from './paths.js';

/** A host goes into the certificate as it is written, so one a TLS client could never match is refused here. */
function checkHost(host: string): void {
  if (host === '') throw new GatewayError('GW_ERR_USAGE', '--host is empty: it must be a host name or an IP address');
  // One leading `*.` makes a wildcard name, which clients match against one label.
  if (isIP(host) === 0 && !HOST_NAME.test(host.replace(/^\*\./, ''))) {
    throw new GatewayError('GW_ERR_USAGE', `--host "${host}" is neither a DNS name nor an IP address`, { hint: 'e.g. --host gateway.example.com --host 192.168.1.10' });
  }
}

/**
 * Makes the development PKI in `dir` unless one is there. A key type asked for on the command line (`keyTypeAsked`)
 * that the PKI already there does not have is an error: its files are never replaced.
 */
export function devPki(dir: string, hosts: string[], keyType: KeyType, keyTypeAsked: boolean, out: (line: string) => void): number {
  for (const host of hosts) checkHost(host);
  const result = ensureDevPki(dir, hosts, keyType, `--dir ${displayPath(dir)}`);
  if (!result.created && keyTypeAsked && result.keyType !== keyType) {
    throw new GatewayError(
      'GW_ERR_USAGE',
      `${displayPath(dir)} already holds a development PKI with ${result.keyType ?? 'unreadable'} keys; remove the folder to make one with ${keyType} keys`,
    );
  }
  const keys = result.keyType === 'ec' ? 'EC P-256 keys' : result.keyType === 'rsa' ? 'RSA keys' : 'keys of an unknown type';
  out(result.created ? `Created a development PKI in ${displayPath(dir)}, ${keys} (never use it in production):` : `A development PKI already exists in ${displayPath(dir)}, ${keys}:`);
  out(`  CA certificate (truststore):   ${join(displayPath(dir), DEV_PKI_FILES.ca)}`);
  out(`  server key + chain (keystore): ${join(displayPath(dir), DEV_PKI_FILES.server)}`);
  out(`  client certificate and key:    ${join(displayPath(dir), DEV_PKI_FILES.clientCert)}, ${join(displayPath(dir), DEV_PKI_FILES.clientKey)}`);
  return EXIT.OK;
}
