/**
 * `ssl.protocols` → OpenSSL's minimum and maximum version. Java takes a set of protocols; OpenSSL only a range, so
 * a set with a gap (`TLSv1,TLSv1.2`) cannot be honoured and is refused rather than silently widened.
 */
import type { SecureVersion } from 'node:tls';
import { GatewayError } from '../errors.js';

const ORDER: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

const ALIASES: Readonly<Record<string, SecureVersion>> = {
  tlsv1: 'TLSv1',
  'tlsv1.0': 'TLSv1',
  'tlsv1.1': 'TLSv1.1',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
};

export interface ProtocolRange {
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  /**
   * TLSv1 or TLSv1.1 is in the range. OpenSSL 3 refuses both below security level 0 (they sign the handshake with
   * SHA-1 / MD5), so the cipher string must end in `@SECLEVEL=0`.
   */
  readonly legacy: boolean;
  /** Findings for the caller to log (a legacy protocol enabled, a Java-only name ignored). */
  readonly warnings: readonly string[];
}

/** `undefined`: TLSv1.2 and up. */
export const DEFAULT_PROTOCOLS: ProtocolRange = Object.freeze({
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  legacy: false,
  warnings: Object.freeze([]) as readonly string[],
});

function protocolError(message: string, hint?: string): GatewayError {
  return new GatewayError('GW_ERR_TLS_PROTOCOLS', message, { hint });
}

/**
 * @param where what the messages name, e.g. `accept wss://example.com:443/echo`.
 * @throws GatewayError GW_ERR_TLS_PROTOCOLS for an unknown or unavailable name, an empty list or a gap.
 */
export function resolveProtocols(protocols: readonly string[] | undefined, where: string): ProtocolRange {
  if (protocols === undefined) return DEFAULT_PROTOCOLS;
  const written = protocols.join(',');
  const warnings: string[] = [];
  const chosen = new Set<SecureVersion>();
  for (const raw of protocols) {
    const name = raw.trim();
    if (name.length === 0) continue;
    const version = ALIASES[name.toLowerCase()];
    if (version !== undefined) {
      chosen.add(version);
      continue;
    }
    if (name.toLowerCase() === 'sslv2hello') {
      // Java's pseudo-protocol for accepting an SSLv2-format ClientHello; OpenSSL never accepts one, and no
      // client still sends it, so it changes nothing here.
      warnings.push(`ssl.protocols "${written}" (${where}): SSLv2Hello is ignored; OpenSSL does not accept SSLv2-format hellos`);
      continue;
    }
    if (/^sslv[23]$/i.test(name)) {
      throw protocolError(
        `ssl.protocols "${written}" (${where}) names ${name}, which this platform's OpenSSL does not provide`,
        'remove it; use TLSv1.2 and TLSv1.3',
      );
    }
    throw protocolError(
      `ssl.protocols "${written}" (${where}) names unknown protocol "${name}"`,
      `known names: ${ORDER.join(', ')}`,
    );
  }
  if (chosen.size === 0) {
    throw protocolError(`ssl.protocols "${written}" (${where}) names no TLS protocol`, `known names: ${ORDER.join(', ')}`);
  }
  const indexes = [...chosen].map((v) => ORDER.indexOf(v)).sort((a, b) => a - b);
  const lo = indexes[0] as number;
  const hi = indexes[indexes.length - 1] as number;
  if (hi - lo + 1 !== indexes.length) {
    const missing = ORDER.slice(lo, hi + 1).filter((v) => !chosen.has(v));
    throw protocolError(
      `ssl.protocols "${written}" (${where}) leaves out ${missing.join(', ')}: OpenSSL enables a contiguous range of versions only`,
      `list every version from ${ORDER[lo]} to ${ORDER[hi]}, or narrow the list`,
    );
  }
  const minVersion = ORDER[lo] as SecureVersion;
  const maxVersion = ORDER[hi] as SecureVersion;
  const legacy = lo <= ORDER.indexOf('TLSv1.1');
  if (legacy) {
    warnings.push(
      `ssl.protocols "${written}" (${where}) enables ${ORDER.slice(lo, Math.min(hi, 1) + 1).join(' and ')}, ` +
        'deprecated by RFC 8996; they only work at OpenSSL security level 0, which this connection then uses ' +
        '(it also admits SHA-1 signatures and short keys)',
    );
  }
  return { minVersion, maxVersion, legacy, warnings };
}
