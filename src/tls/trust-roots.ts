/**
 * Trusted certificates that can verify nothing, or worse. OpenSSL verifies a chain only up to a root (a self-issued
 * certificate) of the truststore: an intermediate CA imported without its root, or a client's own CA-issued
 * certificate imported to trust that client alone, makes every certificate under it refused
 * (UNABLE_TO_GET_ISSUER_CERT, UNABLE_TO_VERIFY_LEAF_SIGNATURE), and a root's copy cross-signed by a CA the
 * truststore lacks may be taken for the root and do the same. The store loads without a word; these are found when
 * the stores are loaded (`check`, start, every reload) and warned about, with what to do instead.
 */
import type { X509Certificate } from 'node:crypto';
import type { StoreContents } from '../keystore/types.js';
import { certificateParts, selfIssued } from './certificate-der.js';
import { comparableNames } from './issuer-loops.js';
import { trustAnchors } from './material.js';
import { subjectOf } from './x509-names.js';

interface Anchor {
  readonly cert: X509Certificate;
  readonly subject: string | undefined;
  readonly issuer: string | undefined;
  readonly key: Buffer | undefined;
}

/** Whether OpenSSL can end a chain at the certificate: named as its own issuer, by its reading or this one's. */
export function isRoot(cert: X509Certificate): boolean {
  const parts = certificateParts(cert.raw);
  return (parts !== undefined && selfIssued(parts)) || cert.checkIssued(cert);
}

/** Which anchors a chain up the truststore, issuer by issuer as OpenSSL links them (checkIssued), can end at a root. */
function rootedIn(anchors: readonly Anchor[]): (anchor: Anchor) => boolean {
  const bySubject = new Map<string, Anchor[]>();
  const unnamed: Anchor[] = [];
  for (const anchor of anchors) {
    if (anchor.subject === undefined) unnamed.push(anchor);
    else {
      const same = bySubject.get(anchor.subject);
      if (same === undefined) bySubject.set(anchor.subject, [anchor]);
      else same.push(anchor);
    }
  }
  const known = new Map<Anchor, boolean>();
  const rooted = (anchor: Anchor, path: Set<Anchor>): boolean => {
    const seen = known.get(anchor);
    if (seen !== undefined) return seen;
    if (isRoot(anchor.cert)) return true;
    path.add(anchor);
    const candidates = anchor.issuer === undefined ? anchors : [...(bySubject.get(anchor.issuer) ?? []), ...unnamed];
    const result = candidates.some((issuer) => !path.has(issuer) && anchor.cert.checkIssued(issuer.cert) && rooted(issuer, path));
    path.delete(anchor);
    // A chain cut short by the path it was reached along is not this certificate's last word.
    if (result || path.size === 0) known.set(anchor, result);
    return result;
  };
  return (anchor) => rooted(anchor, new Set());
}

/** One warning per trusted certificate of `truststore` that no chain can be verified through. */
export function unrootedWarnings(file: string, truststore: StoreContents): string[] {
  const anchors = trustAnchors(truststore).map((cert): Anchor => ({ cert, ...comparableNames(cert), key: certificateParts(cert.raw)?.publicKey }));
  const rooted = rootedIn(anchors);
  const aliases = new Map<X509Certificate, string>();
  for (const { alias, chain } of truststore.keys) if (chain[0] !== undefined) aliases.set(chain[0], alias);
  for (const { alias, certificate } of truststore.trusted) aliases.set(certificate, alias);
  const warnings: string[] = [];
  for (const { alias, certificate } of truststore.trusted) {
    const anchor = anchors.find((a) => a.cert.fingerprint256 === certificate.fingerprint256);
    if (anchor === undefined || rooted(anchor)) continue;
    const what = `truststore "${file}" certificate "${alias}" (${subjectOf(certificate)})`;
    // The same CA (name and key) as a root of the truststore, issued by a CA the truststore lacks.
    const twin = anchors.find((a) => a !== anchor && a.subject === anchor.subject && a.key !== undefined && anchor.key !== undefined && a.key.equals(anchor.key) && rooted(a));
    if (twin !== undefined) {
      warnings.push(
        `${what} is a copy of the CA "${aliases.get(twin.cert) ?? subjectOf(twin.cert)}" issued by a CA that is not in the truststore: OpenSSL may take it for the issuer of that CA's certificates, and then refuse them (UNABLE_TO_GET_ISSUER_CERT); remove it`,
      );
    } else if (certificate.ca) {
      warnings.push(
        `${what} is a CA whose root is not in the truststore: OpenSSL verifies a chain only up to a root it trusts, so every certificate it issues is refused (UNABLE_TO_GET_ISSUER_CERT); import the root CA certificate too`,
      );
    } else {
      warnings.push(
        `${what} is neither a CA nor self-signed: no certificate can be verified through it, not even itself (UNABLE_TO_VERIFY_LEAF_SIGNATURE); import the CA that issued it (and its root) instead`,
      );
    }
  }
  return warnings;
}
