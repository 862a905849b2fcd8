/**
 * Which keystore entry serves each host name of a TLS address, in the words an operator checks it by: the entry's
 * alias, its subject, who issued it, its serial number and its end. Said at start-up, for each change a reload
 * makes, by `check` and on the status page: where two entries answer to one name the choice (select.ts) is
 * otherwise silent, and a client that refuses the gateway's certificate names no entry.
 */
import type { KeyEntry } from '../keystore/types.js';
import { selfSigned } from './select.js';
import { formatDn, readCertificateNames, subjectOf } from './x509-names.js';

export interface ServedCertificate {
  /** The listening address, `host:port`. */
  readonly address: string;
  /** The host name, as accepts name it (lower case). */
  readonly host: string;
  readonly alias: string;
  readonly subject: string;
  /** The issuer's DN; undefined for a self-signed certificate. */
  readonly issuer: string | undefined;
  /** Hex, as OpenSSL prints it. */
  readonly serial: string;
  /** ISO 8601. */
  readonly validTo: string;
}

/** The DN of the CA that issued `leaf`, as Java prints it. */
export function issuerOf(leaf: NonNullable<KeyEntry['chain'][0]>): string {
  try {
    return formatDn(readCertificateNames(leaf.raw).issuer);
  } catch {
    return leaf.issuer.split('\n').filter(Boolean).reverse().join(', ');
  }
}

/** Undefined for an entry without a certificate, which no listener serves. */
function servedCertificate(address: string, host: string, entry: KeyEntry): ServedCertificate | undefined {
  const leaf = entry.chain[0];
  if (leaf === undefined) return undefined;
  return {
    address,
    host,
    alias: entry.alias,
    subject: subjectOf(leaf),
    issuer: selfSigned(leaf) ? undefined : issuerOf(leaf),
    serial: leaf.serialNumber,
    validTo: new Date(leaf.validTo).toISOString(),
  };
}

/** Every host name an address serves, with its entry, in the order the accepts name them. */
export function servedBy(address: string, entries: ReadonlyMap<string, KeyEntry>): ServedCertificate[] {
  return [...entries].flatMap(([host, entry]) => servedCertificate(address, host, entry) ?? []);
}

/** `keystore entry "gateway" (CN=gw.example.com, issued by CN=Acme CA, serial 1F, valid to 2027-03-01T00:00:00.000Z)` */
export function describeServed(s: ServedCertificate): string {
  const issuer = s.issuer === undefined ? 'self-signed' : `issued by ${s.issuer}`;
  return `keystore entry "${s.alias}" (${s.subject}, ${issuer}, serial ${s.serial}, valid to ${s.validTo})`;
}

/** Whether two rows name the same certificate from the same entry. */
export function sameServed(a: ServedCertificate, b: ServedCertificate): boolean {
  return a.alias === b.alias && a.serial === b.serial && a.issuer === b.issuer && a.subject === b.subject;
}

/** What a client's alert about the gateway's own certificate says (Node's code for it on the server side). */
const CLIENT_REFUSED: Readonly<Record<string, string>> = {
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'it does not trust the issuer',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'Java and browsers say this of an untrusted issuer or of a name that is not the one they connect to',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'an untrusted issuer, or a name that is not the one it connects to',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'it found it expired (or its own clock is wrong)',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'it found it revoked',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: 'it cannot use a certificate of this kind',
};

/**
 * For a handshake the client ended with an alert about the gateway's certificate: which entries the address served
 * and what to check, so that the operator looks at the keystore (or the client's trust), not at the client's
 * certificate. For one it ended by hanging up, the served certificates past their end, if any. Undefined otherwise.
 */
export function clientRefusedHint(code: string | undefined, served: readonly ServedCertificate[], now = Date.now()): string | undefined {
  const why = code === undefined ? undefined : CLIENT_REFUSED[code];
  if (why === undefined) return code === 'ECONNRESET' ? expiredHint(served, now) : undefined;
  return `the client refused the gateway's certificate (${why}): this address serves ${describeEntries(served)}; the client must trust its issuer, the entry must hold its intermediate CAs, and the client must connect by a name the certificate has`;
}

/**
 * For a client that hung up during its handshake: the certificates the address serves past their end, if any. Clients
 * that check dates refuse them, and some say nothing when they do (Python's ssl module closes the connection).
 */
function expiredHint(served: readonly ServedCertificate[], now: number): string | undefined {
  const expired = served.filter((s) => Date.parse(s.validTo) < now);
  if (expired.length === 0) return undefined;
  return `this address serves ${describeEntries(expired)}, past its end: a client that checks dates refuses it, and some hang up without an alert; renew it (docs/tls.md)`;
}

/** Each entry once, with the host names it serves where there are several entries. */
function describeEntries(served: readonly ServedCertificate[]): string {
  const entries = [...new Map(served.map((s) => [s.alias, s])).values()];
  return entries.length === 1
    ? describeServed(entries[0]!)
    : entries.map((s) => `${describeServed(s)} for ${served.filter((o) => o.alias === s.alias).map((o) => o.host).join(', ')}`).join('; ');
}
