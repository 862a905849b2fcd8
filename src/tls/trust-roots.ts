/**
 * Trusted certificates that can verify nothing. OpenSSL verifies a chain only up to a root (a self-issued
 * certificate) of the truststore: an intermediate CA imported without its root, or a client's own CA-issued
 * certificate imported to trust that client alone, makes every certificate under it refused (UNABLE_TO_GET_ISSUER_CERT,
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE), while the store loads without a word. Found when the stores are loaded (`check`,
 * start, every reload) and warned about, with what to import instead.
 */
import type { X509Certificate } from 'node:crypto';
import type { StoreContents } from '../keystore/types.js';
import { certificateParts, selfIssued } from './certificate-der.js';
import { trustAnchors } from './material.js';
import { subjectOf } from './x509-names.js';

/** Whether a chain from `cert` up the truststore can end at a root, as OpenSSL looks for its issuers (checkIssued). */
function rootedIn(anchors: readonly X509Certificate[]): (cert: X509Certificate) => boolean {
  const bySubject = new Map<string, X509Certificate[]>();
  for (const anchor of anchors) {
    const same = bySubject.get(anchor.subject);
    if (same === undefined) bySubject.set(anchor.subject, [anchor]);
    else same.push(anchor);
  }
  const known = new Map<X509Certificate, boolean>();
  const rooted = (cert: X509Certificate, path: Set<X509Certificate>): boolean => {
    const seen = known.get(cert);
    if (seen !== undefined) return seen;
    const parts = certificateParts(cert.raw);
    // A certificate this reader cannot take apart is not warned about.
    if (parts === undefined || selfIssued(parts)) return true;
    path.add(cert);
    const result = (bySubject.get(cert.issuer) ?? []).some((issuer) => !path.has(issuer) && cert.checkIssued(issuer) && rooted(issuer, path));
    path.delete(cert);
    // A chain cut short by the path it was reached along is not this certificate's last word.
    if (result || path.size === 0) known.set(cert, result);
    return result;
  };
  return (cert) => rooted(cert, new Set());
}

/** One warning per trusted certificate of `truststore` that no chain can be verified through. */
export function unrootedWarnings(file: string, truststore: StoreContents): string[] {
  const rooted = rootedIn(trustAnchors(truststore));
  const warnings: string[] = [];
  for (const { alias, certificate } of truststore.trusted) {
    if (rooted(certificate)) continue;
    const what = `truststore "${file}" certificate "${alias}" (${subjectOf(certificate)})`;
    if (certificate.ca) {
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
