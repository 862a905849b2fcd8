/**
 * The chain a client certificate issued by a CA of the truststore was verified along, found without asking Node
 * to link it. getPeerCertificate(true) turns every certificate of the chain into an object and parses each with
 * OpenSSL again (about 0.3 ms a certificate on the machines measured): a device's first connection paid about
 * 2 ms for its chain (docs/PERFORMANCE.md).
 *
 * OpenSSL looks for a certificate's issuer in the truststore first, and takes one that X509_check_issued accepts
 * (the name, the authority key identifier, keyUsage) and that is within its validity. The chain given here is
 * that one only where the truststore leaves no choice: at every link exactly one certificate of the truststore has
 * the issuer's name (byte for byte) and exactly one has its key, its key identifier and keyUsage agree, it signed
 * the certificate below it, and the chain ends at a self-issued root, every certificate of it within its validity
 * now. Anything else (an intermediate the client sends, a CA of the truststore cross-signed or renewed with the
 * same key, a name encoded another way, a signature algorithm signedBy() does not know) is left to Node's
 * linking (identity.ts), as before.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { certificateParts, signedBy, type CertificateParts } from './certificate-der.js';
import { hasIssuerLoop } from './issuer-loops.js';

interface Trusted {
  readonly der: Buffer;
  readonly parts: CertificateParts;
  /** Undefined when Node cannot load it: nothing is linked through this certificate here. */
  readonly key: KeyObject | undefined;
}

/** A chain from a certificate of the truststore to its root, and when all of it is within its validity. */
interface Linked {
  readonly chain: readonly Buffer[];
  readonly from: number;
  readonly until: number;
}

export class TrustedIssuers {
  readonly #bySubject = new Map<string, Trusted[]>();
  readonly #byKey = new Map<string, number>();
  /** Each certificate's chain up the truststore; null where it cannot be linked here. */
  readonly #linked = new Map<Trusted, Linked | null>();
  /** False when a certificate of the truststore could not be read here: any of them might be an issuer. */
  readonly #usable: boolean;
  /**
   * The truststore holds CAs that issue each other (each cross-signed by the other): Node's linking of a chain
   * (getPeerCertificate(true)) may go round such a loop without end, until the process runs out of memory
   * (issuer-loops.ts).
   */
  readonly loops: boolean;

  constructor(anchors: readonly X509Certificate[]) {
    let usable = true;
    for (const anchor of anchors) {
      const der = anchor.raw;
      const parts = certificateParts(der);
      if (parts === undefined) {
        usable = false;
        continue;
      }
      let key: KeyObject | undefined;
      try {
        key = anchor.publicKey;
      } catch {
        key = undefined;
      }
      const trusted: Trusted = { der, parts, key };
      const name = parts.subject.toString('base64');
      const same = this.#bySubject.get(name);
      if (same === undefined) this.#bySubject.set(name, [trusted]);
      else same.push(trusted);
      const spki = parts.publicKey.toString('base64');
      this.#byKey.set(spki, (this.#byKey.get(spki) ?? 0) + 1);
    }
    this.#usable = usable;
    if (usable) for (const list of this.#bySubject.values()) for (const trusted of list) this.#link(trusted, new Set());
    this.loops = hasIssuerLoop(anchors);
  }

  /**
   * The chain `der` was verified along (its issuer first, up to the truststore's root, TLS order), when the
   * truststore alone decides it; undefined otherwise.
   */
  chainFor(der: Buffer, now = Date.now()): readonly Buffer[] | undefined {
    if (!this.#usable) return undefined;
    const leaf = certificateParts(der);
    if (leaf === undefined || leaf.issuer.equals(leaf.subject)) return undefined;
    const issuer = this.#issuerOf(leaf);
    const linked = issuer === undefined ? undefined : this.#linked.get(issuer);
    if (linked === undefined || linked === null || now < linked.from || now > linked.until) return undefined;
    return linked.chain;
  }

  #link(trusted: Trusted, path: Set<Trusted>): Linked | null {
    const known = this.#linked.get(trusted);
    if (known !== undefined) return known;
    let linked: Linked | null = null;
    const { parts } = trusted;
    if (parts.issuer.equals(parts.subject)) {
      linked = { chain: [trusted.der], from: parts.notBefore, until: parts.notAfter };
    } else if (!path.has(trusted)) {
      const issuer = this.#issuerOf(parts);
      path.add(trusted);
      const above = issuer === undefined ? null : this.#link(issuer, path);
      path.delete(trusted);
      if (above !== null) linked = { chain: [trusted.der, ...above.chain], from: Math.max(parts.notBefore, above.from), until: Math.min(parts.notAfter, above.until) };
    }
    // A certificate met again on its own path (a loop of cross-signatures) is not recorded from inside the loop.
    if (linked !== null || !path.has(trusted)) this.#linked.set(trusted, linked);
    return linked;
  }

  /** The one certificate of the truststore OpenSSL can have taken for `cert`'s issuer, when there is exactly one. */
  #issuerOf(cert: CertificateParts): Trusted | undefined {
    const named = this.#bySubject.get(cert.issuer.toString('base64'));
    if (named === undefined || named.length !== 1) return undefined;
    const issuer = named[0] as Trusted;
    const { parts } = issuer;
    if (this.#byKey.get(parts.publicKey.toString('base64')) !== 1) return undefined;
    if (cert.authorityKeyId === 'complex') return undefined;
    if (cert.authorityKeyId !== undefined && parts.subjectKeyId !== undefined && !cert.authorityKeyId.equals(parts.subjectKeyId)) return undefined;
    if (parts.keyCertSign === false || issuer.key === undefined) return undefined;
    return signedBy(cert, issuer.key) === true ? issuer : undefined;
  }
}
