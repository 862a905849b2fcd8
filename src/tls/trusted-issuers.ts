/**
 * The chain a client certificate issued by a CA of the truststore was verified along, found without asking Node
 * to link it. getPeerCertificate(true) turns every certificate of the chain into an object and parses each with
 * OpenSSL again (about 0.3 ms a certificate on the machines measured): a device's first connection paid about
 * 2 ms for its chain (docs/PERFORMANCE.md). Here the truststore's certificates are read once per trust; a client's
 * certificate is matched to the one whose subject is its issuer, byte for byte, and checked to be signed by its
 * key, and the chain goes on up the truststore as it was linked once, when the trust was made.
 *
 * OpenSSL looks for an issuer in the truststore before it looks among the certificates the client sent, so for
 * such a client it verified this same chain. A certificate whose issuer is not in the truststore (an intermediate
 * the client sends), a self-issued one, or a signature algorithm signedBy() does not know is left to Node's
 * linking (identity.ts), as before.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { certificateParts, signedBy, type CertificateParts } from './certificate-der.js';

/** More links than any real chain has: a loop in a truststore stops here. */
const MAX_CHAIN = 64;

interface Trusted {
  readonly der: Buffer;
  readonly parts: CertificateParts;
  readonly key: KeyObject;
  /** This certificate and those above it in the truststore, TLS order; undefined where they could not be linked here. */
  chain: readonly Buffer[] | undefined;
}

export class TrustedIssuers {
  /** The truststore's certificates by their subject's DER (base64). */
  readonly #bySubject = new Map<string, Trusted[]>();

  constructor(anchors: readonly X509Certificate[]) {
    const all: Trusted[] = [];
    for (const anchor of anchors) {
      const der = anchor.raw;
      const parts = certificateParts(der);
      if (parts === undefined) continue;
      const trusted: Trusted = { der, parts, key: anchor.publicKey, chain: undefined };
      all.push(trusted);
      const key = parts.subject.toString('base64');
      const same = this.#bySubject.get(key);
      if (same === undefined) this.#bySubject.set(key, [trusted]);
      else same.push(trusted);
    }
    for (const trusted of all) trusted.chain = this.#link(trusted, 0);
  }

  /**
   * The chain `der` was verified along (its issuer first, up to the truststore's top, TLS order), when its issuer is
   * a certificate of the truststore; undefined otherwise.
   */
  chainFor(der: Buffer): readonly Buffer[] | undefined {
    const leaf = certificateParts(der);
    if (leaf === undefined || leaf.issuer.equals(leaf.subject)) return undefined;
    return this.#issuerOf(leaf, MAX_CHAIN)?.chain;
  }

  #link(trusted: Trusted, depth: number): readonly Buffer[] | undefined {
    if (trusted.chain !== undefined) return trusted.chain;
    // A root ends the chain; so does a CA whose issuer is not in the truststore, as in Node's linking.
    if (trusted.parts.issuer.equals(trusted.parts.subject) || !this.#bySubject.has(trusted.parts.issuer.toString('base64'))) return [trusted.der];
    if (depth >= MAX_CHAIN) return undefined;
    const issuer = this.#issuerOf(trusted.parts, depth);
    const above = issuer === undefined ? undefined : this.#link(issuer, depth + 1);
    return above === undefined ? undefined : [trusted.der, ...above];
  }

  /** The certificate of the truststore that issued `cert`: its subject is `cert`'s issuer, and its key signed `cert`. */
  #issuerOf(cert: CertificateParts, depth: number): Trusted | undefined {
    for (const candidate of this.#bySubject.get(cert.issuer.toString('base64')) ?? []) {
      if (signedBy(cert, candidate.key) !== true) continue;
      if (candidate.chain === undefined && depth < MAX_CHAIN) candidate.chain = this.#link(candidate, depth + 1);
      if (candidate.chain !== undefined) return candidate;
    }
    return undefined;
  }
}
