/** Certificate chain assembly for formats that store certificates loose (PKCS#12, PEM). */
import type { X509Certificate } from 'node:crypto';

/**
 * The leaf followed by its issuers found in `pool`, in order, stopping at a self-issued certificate, a missing
 * issuer, or a loop. checkIssued compares names and key identifiers; signatures are for the TLS layer to verify.
 */
export function buildChain(leaf: X509Certificate, pool: readonly X509Certificate[]): X509Certificate[] {
  const chain = [leaf];
  const seen = new Set<string>([leaf.fingerprint256]);
  let current = leaf;
  while (!current.checkIssued(current)) {
    const issuer = pool.find((c) => !seen.has(c.fingerprint256) && current.checkIssued(c));
    if (!issuer) break;
    chain.push(issuer);
    seen.add(issuer.fingerprint256);
    current = issuer;
  }
  return chain;
}
