/**
 * What a client certificate says, read once per certificate rather than once per connection: a device reconnects
 * with the same certificate, and reading its names (node-forge, DER) costs more than the rest of identify(). The
 * CA certificates of client chains are kept here too, so that every connection's chain shares their DER.
 * Keyed by the SHA-256 of the DER; bounded, the least recently used entry leaving first. Everything here follows
 * from the DER alone, except the chain last verified for it, which a resumed session needs (a session ticket does
 * not hold the client's intermediate CAs) and which is judged again against the current trust before it is used
 * (resumed.ts).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { certificateParts } from './certificate-der.js';
import { dnAttributes, formatDn, readCertificateNames, type CertificateNames, type SanType } from './x509-names.js';

/** Certificates remembered at once: a few MiB at most (the DER, its names and a chain each). */
export const CERTIFICATE_CACHE_SIZE = 4096;

export interface KnownCertificate {
  readonly der: Buffer;
  readonly subject: string | undefined;
  readonly subjectAttributes: Readonly<Record<string, readonly string[]>>;
  readonly issuer: string | undefined;
  readonly sans: readonly { type: SanType; value: string }[];
  readonly fingerprint256: string;
  readonly serialNumber: string;
  readonly validTo: string;
  /** DER of the issuers a full handshake last verified this certificate along (TLS order); undefined until one has. */
  verifiedChain: readonly Buffer[] | undefined;
  /** The listener trust `verifiedChain` was verified under (undefined: a listener that judges nothing again). */
  verifiedUnder: object | undefined;
  /** The last verdict on a resumed session of this certificate: good against `trust` along `chain` until `until`. */
  resumed: { readonly trust: object; readonly chain: readonly Buffer[]; readonly until: number } | undefined;
}

/**
 * What the certificate says, from its DER (certificate-der.ts, node-forge for the names): OpenSSL's parse, at about
 * 0.3 ms a certificate, is kept for what that reader does not take.
 */
function read(der: Buffer, digest: Buffer): KnownCertificate | undefined {
  const parts = certificateParts(der);
  if (parts === undefined) return readWithOpenSsl(der);
  let names: CertificateNames;
  try {
    names = readCertificateNames(der);
  } catch {
    return readWithOpenSsl(der);
  }
  return Object.seal({
    der,
    fingerprint256: colonHex(digest),
    serialNumber: parts.serialNumber,
    validTo: new Date(parts.notAfter).toISOString(),
    verifiedChain: undefined,
    verifiedUnder: undefined,
    resumed: undefined,
    subject: formatDn(names.subject),
    subjectAttributes: Object.freeze(dnAttributes(names.subject)),
    issuer: formatDn(names.issuer),
    sans: Object.freeze(names.sans),
  });
}

/** keytool's form of a fingerprint: upper-case hex, a colon between bytes (as X509Certificate#fingerprint256). */
export function colonHex(digest: Buffer): string {
  return (digest.toString('hex').toUpperCase().match(/../g) as string[]).join(':');
}

function readWithOpenSsl(der: Buffer): KnownCertificate | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return undefined;
  }
  const validTo = Date.parse(cert.validTo);
  const base = {
    der,
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    validTo: Number.isNaN(validTo) ? cert.validTo : new Date(validTo).toISOString(),
    verifiedChain: undefined,
    verifiedUnder: undefined,
    resumed: undefined,
  };
  try {
    const parsed = readCertificateNames(der);
    return Object.seal({
      ...base,
      subject: formatDn(parsed.subject),
      subjectAttributes: Object.freeze(dnAttributes(parsed.subject)),
      issuer: formatDn(parsed.issuer),
      sans: Object.freeze(parsed.sans),
    });
  } catch {
    // OpenSSL accepted the certificate, so only an encoding this reader does not know gets here: fall back to
    // OpenSSL's own rendering (one attribute per line, most general first) rather than fail the connection.
    const flip = (s: string): string => s.split('\n').filter(Boolean).reverse().join(', ');
    return Object.seal({ ...base, subject: flip(cert.subject), subjectAttributes: Object.freeze({}), issuer: flip(cert.issuer), sans: Object.freeze([]) });
  }
}

export class CertificateCache {
  readonly #entries = new Map<string, KnownCertificate>();
  readonly #size: number;

  constructor(size = CERTIFICATE_CACHE_SIZE) {
    this.#size = size;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The certificate whose DER is `der` (kept when it is new); undefined when it does not parse. */
  lookup(der: Buffer): KnownCertificate | undefined {
    const digest = createHash('sha256').update(der).digest();
    const key = digest.toString('base64');
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      // Map order is insertion order: re-inserting makes it the most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const known = read(der, digest);
    if (known === undefined) return undefined;
    this.#entries.set(key, known);
    if (this.#entries.size > this.#size) this.#entries.delete(this.#entries.keys().next().value as string);
    return known;
  }
}
