/**
 * Store contents in the shapes OpenSSL takes: PEM key and chain for a key entry, trust anchors for a truststore.
 */
import type { X509Certificate } from 'node:crypto';
import type { KeyEntry, StoreContents } from '../keystore/types.js';

export interface KeyMaterial {
  /** PKCS#8 PEM. */
  readonly key: string;
  /** The chain as stored, leaf first, PEM-concatenated; OpenSSL sends all of it. */
  readonly cert: string;
}

export function keyMaterial(entry: KeyEntry): KeyMaterial {
  return {
    key: entry.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    cert: entry.chain.map((c) => c.toString()).join(''),
  };
}

/**
 * The certificates a Java TrustManager built from this store trusts: every trusted-certificate entry and the
 * leaf certificate of every key entry (sun.security.validator.TrustStoreUtil.getTrustedCerts does the same), in
 * store order without duplicates. OpenSSL only accepts a trusted leaf that is self-signed, or whose issuers are
 * trusted too; Java accepts any certificate found here.
 */
export function trustAnchors(store: StoreContents): X509Certificate[] {
  const seen = new Set<string>();
  const out: X509Certificate[] = [];
  const add = (cert: X509Certificate | undefined): void => {
    if (cert === undefined || seen.has(cert.fingerprint256)) return;
    seen.add(cert.fingerprint256);
    out.push(cert);
  };
  for (const entry of store.trusted) add(entry.certificate);
  for (const entry of store.keys) add(entry.chain[0]);
  return out;
}

export function toPem(certs: readonly X509Certificate[]): string[] {
  return certs.map((c) => c.toString());
}
