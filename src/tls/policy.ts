/**
 * The protocol range and cipher string shared by server and client contexts, checked against each other.
 */
import type { SecureVersion } from 'node:tls';
import { GatewayError } from '../errors.js';
import { resolveCiphers } from './ciphers.js';
import { resolveProtocols } from './protocols.js';

export interface TlsPolicy {
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  /** For the `ciphers` option of tls.createSecureContext; without ssl.ciphers, the default of ciphers.ts. */
  readonly ciphers: string;
  readonly warnings: readonly string[];
}

/**
 * @param where what the messages name, e.g. `accept wss://example.com:443/echo`.
 * @throws GatewayError GW_ERR_TLS_PROTOCOLS or GW_ERR_TLS_CIPHERS.
 */
export function resolveTlsPolicy(
  ciphers: string | undefined,
  protocols: readonly string[] | undefined,
  where: string,
): TlsPolicy {
  const range = resolveProtocols(protocols, where);
  const list = resolveCiphers(ciphers, { where, secLevel0: range.legacy });
  if (range.maxVersion !== 'TLSv1.3' && !hasTls12Cipher(list.ciphers)) {
    throw new GatewayError(
      'GW_ERR_TLS_CIPHERS',
      `ssl.ciphers "${ciphers ?? ''}" (${where}) names TLS 1.3 suites only, but ssl.protocols stops at ${range.maxVersion}`,
      { hint: 'add TLS 1.2 ciphers (for example ECDHE+AESGCM) or allow TLSv1.3' },
    );
  }
  return {
    minVersion: range.minVersion,
    maxVersion: range.maxVersion,
    ciphers: list.ciphers,
    warnings: [...range.warnings, ...list.warnings],
  };
}

function hasTls12Cipher(cipherString: string): boolean {
  return cipherString.split(':').some((t) => t.length > 0 && !t.startsWith('TLS_') && !/^[!@+-]/.test(t));
}
