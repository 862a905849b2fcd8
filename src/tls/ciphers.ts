/**
 * `ssl.ciphers` → an OpenSSL cipher string. Kaazing takes a comma list mixing OpenSSL names and keywords (`HIGH`,
 * `!ADH`) with Java / IANA suite names (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`); OpenSSL knows only its own
 * names, and Node hands every `TLS_…` name to the TLS 1.3 suite list, where an unknown one fails the whole
 * context. So Java names are translated, TLS 1.3 suites pass through, and keywords are kept as written.
 *
 * The default, without `ssl.ciphers`, is Mozilla's "intermediate" profile for TLS 1.2 narrowed to ECDHE key
 * exchange (https://wiki.mozilla.org/Security/Server_Side_TLS): ECDHE-ECDSA and ECDHE-RSA with AES-128-GCM,
 * AES-256-GCM and ChaCha20-Poly1305, in Mozilla's order. Node's own list (tls.DEFAULT_CIPHERS) ends in `HIGH`,
 * which brings in CBC suites (padding-oracle and LUCKY13-style timing attacks) and static-RSA key exchange (no
 * forward secrecy, ROBOT-style oracles); Kaazing's `HIGH,MEDIUM,!ADH,!KRB5` adds weaker ones still. Mozilla's
 * intermediate list also has DHE-RSA with the same AEAD ciphers; they are left out so that key exchange is ECDHE
 * only: DHE is slower, its finite-field group is the server's choice unless the client offers RFC 7919 groups, and
 * clients that have the AEAD suites without ECDHE are rare. TLS 1.3 keeps Node's suites, which are AEAD and
 * forward secret already.
 *
 * TLSv1 and TLSv1.1 have no AEAD suite, so where `ssl.protocols` enables them and `ssl.ciphers` is absent, Node's
 * whole list is used instead (at security level 0, see protocols.ts): an operator who turns on a legacy protocol
 * wants legacy clients to connect, and that listener offers CBC and static-RSA suites to TLS 1.2 clients too.
 */
import tls from 'node:tls';
import { GatewayError } from '../errors.js';
import { IANA_TO_OPENSSL } from './cipher-names.js';

/** The TLS 1.3 suites OpenSSL 3 implements; their IANA and OpenSSL names are the same. */
export const TLS13_SUITES: readonly string[] = Object.freeze([
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_128_CCM_SHA256',
  'TLS_AES_128_CCM_8_SHA256',
]);

/**
 * The TLS 1.2 suites used when `ssl.ciphers` is absent: Mozilla's intermediate profile without its DHE suites.
 */
export const DEFAULT_TLS12_CIPHERS: readonly string[] = Object.freeze([
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
]);

/**
 * The cipher string used when `ssl.ciphers` is absent: Node's TLS 1.3 suites, then DEFAULT_TLS12_CIPHERS. Naming the
 * TLS 1.3 suites keeps them what Node's default would have made them (including a `--tls-cipher-list` choice).
 */
export const DEFAULT_CIPHERS: string = [
  ...tls.DEFAULT_CIPHERS.split(':').filter((name) => name.startsWith('TLS_')),
  ...DEFAULT_TLS12_CIPHERS,
].join(':');

const BY_UPPER_NAME: ReadonlyMap<string, string> = new Map(
  Object.entries(IANA_TO_OPENSSL).map(([iana, openssl]) => [iana.toUpperCase(), openssl]),
);

// Signalling values Java lists among its suites; OpenSSL sends and honours them on its own.
const SIGNALLING = new Set(['TLS_EMPTY_RENEGOTIATION_INFO_SCSV', 'TLS_FALLBACK_SCSV']);

/**
 * The OpenSSL name of a Java / IANA suite name (`SSL_` and `TLS_` prefixes, any case); a TLS 1.3 suite maps to
 * itself. `undefined` when the name is not one OpenSSL 3 has a suite for (static ECDH, Kerberos, export suites…).
 */
export function toOpenSslCipherName(name: string): string | undefined {
  const upper = name.trim().toUpperCase();
  if (TLS13_SUITES.includes(upper)) return upper;
  const iana = upper.startsWith('SSL_') ? `TLS_${upper.slice(4)}` : upper;
  return BY_UPPER_NAME.get(iana);
}

export interface CipherList {
  /** For the `ciphers` option of tls.createSecureContext. */
  readonly ciphers: string;
  /** Names that were dropped, for the caller to log. */
  readonly warnings: readonly string[];
}

export interface ResolveCiphersOptions {
  /** What the messages name, e.g. `accept wss://example.com:443/echo`. */
  readonly where: string;
  /** Append `@SECLEVEL=0` (needed for TLSv1 and TLSv1.1, see protocols.ts) unless the list sets a level itself. */
  readonly secLevel0: boolean;
}

function acceptedByOpenSsl(cipherString: string): boolean {
  try {
    tls.createSecureContext({ ciphers: cipherString });
    return true;
  } catch {
    return false;
  }
}

const IS_SUITE_NAME = /^(TLS|SSL)_[A-Z0-9_]+$/i;
// `!ADH`, `-RC4`, `+AES`: an operator applied to a name or keyword.
const OPERATOR = /^[!+-]/;

/**
 * @throws GatewayError GW_ERR_TLS_CIPHERS when nothing usable is left, naming the value as written.
 */
export function resolveCiphers(value: string | undefined, options: ResolveCiphersOptions): CipherList {
  if (value === undefined) {
    return { ciphers: options.secLevel0 ? `${tls.DEFAULT_CIPHERS}:@SECLEVEL=0` : DEFAULT_CIPHERS, warnings: [] };
  }
  const label = `ssl.ciphers "${value}" (${options.where})`;
  const warnings: string[] = [];
  const tls13: string[] = [];
  const tls12: string[] = [];
  let positives = 0;
  for (const token of value.split(/[\s,:]+/).filter((t) => t.length > 0)) {
    const operator = OPERATOR.test(token) ? token.charAt(0) : '';
    const name = token.slice(operator.length);
    if (IS_SUITE_NAME.test(name)) {
      if (SIGNALLING.has(name.toUpperCase())) {
        warnings.push(`${label}: ${name} is a signalling value, not a cipher suite; OpenSSL handles it itself`);
        continue;
      }
      const mapped = toOpenSslCipherName(name);
      if (mapped === undefined) {
        warnings.push(`${label}: ${name} is not a cipher suite this platform's OpenSSL provides; ignored`);
        continue;
      }
      if (TLS13_SUITES.includes(mapped)) {
        // TLS 1.3 suites cannot be excluded by operators in OpenSSL's syntax: an excluded one is just not listed.
        if (operator !== '!' && operator !== '-') tls13.push(mapped);
        continue;
      }
      if (operator === '' && !acceptedByOpenSsl(mapped)) {
        warnings.push(`${label}: ${name} (OpenSSL ${mapped}) is not available in this platform's OpenSSL; ignored`);
        continue;
      }
      tls12.push(operator + mapped);
      if (operator === '') positives++;
      continue;
    }
    if (operator === '' && !name.startsWith('@') && name !== 'DEFAULT' && !acceptedByOpenSsl(name)) {
      warnings.push(`${label}: "${name}" matches no cipher of this platform's OpenSSL; ignored`);
      continue;
    }
    if (name === 'DEFAULT' && operator === '') {
      // OpenSSL accepts DEFAULT only as the first element.
      tls12.unshift(name);
    } else {
      tls12.push(token);
    }
    if (operator === '' && !name.startsWith('@')) positives++;
  }
  if (positives === 0 && tls13.length === 0) {
    throw new GatewayError('GW_ERR_TLS_CIPHERS', `${label} names no cipher this platform has`, {
      hint: 'use OpenSSL names or keywords (HIGH, ECDHE+AESGCM) or Java suite names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    });
  }
  if (options.secLevel0 && !tls12.some((t) => t.startsWith('@SECLEVEL='))) tls12.push('@SECLEVEL=0');
  const ciphers = [...tls13, ...tls12].join(':');
  try {
    tls.createSecureContext({ ciphers });
  } catch (cause) {
    throw new GatewayError('GW_ERR_TLS_CIPHERS', `${label} yields no usable cipher (OpenSSL string "${ciphers}")`, {
      cause,
      hint: positives === 0 ? 'TLS 1.3 suites alone leave TLS 1.2 and older without ciphers' : undefined,
    });
  }
  return { ciphers, warnings };
}
