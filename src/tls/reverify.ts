/**
 * Judging a connected client's certificate again after the trust it was admitted under changed: a CRL that now
 * revokes it (or a CA of its chain), or a truststore that no longer holds the anchor its chain was verified to.
 *
 * OpenSSL verified the chain at the handshake, and Node offers no way to run that verification again without the
 * client's private key, so this repeats the two facts that can change under a live connection, on the chain OpenSSL
 * built (identity.chainDer): is its anchor still trusted, and is any certificate below the anchor revoked. The
 * result is an identity as identify() would have made it, which refusalReason() and the access-constraints then
 * judge exactly as at the handshake.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { certificateNameDer, normaliseSerial, type LoadedCrls } from './crl.js';
import type { ClientIdentity } from './identity.js';

/** What a listener's clients are verified against: its trust anchors and, with ssl.crl, the revoked serials. */
export interface ClientTrust {
  /** SHA-256 fingerprints (colon hex, as X509Certificate.fingerprint256) of the trust anchors. */
  readonly anchors: ReadonlySet<string>;
  /** Revoked serials by the DER of their issuer's Name; undefined without ssl.crl. */
  readonly revoked: ReadonlyMap<string, ReadonlySet<string>> | undefined;
}

export function clientTrust(anchors: readonly X509Certificate[], crl: LoadedCrls | undefined): ClientTrust {
  return { anchors: new Set(anchors.map((a) => a.fingerprint256)), revoked: crl?.revoked };
}

function fingerprint256(der: Buffer): string {
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}

/** Normalised serial number of a DER certificate (the client's own is known from identify()). */
function serialOf(der: Buffer, known: string | undefined): string | undefined {
  if (known !== undefined) return normaliseSerial(known);
  try {
    return normaliseSerial(new X509Certificate(der).serialNumber);
  } catch {
    return undefined;
  }
}

/**
 * The identity as the changed trust judges it: unchanged when it was not verified before (refused or anonymous
 * clients are not re-admitted by this), else verified false with CERT_REVOKED or UNABLE_TO_GET_ISSUER_CERT_LOCALLY
 * when the change withdraws what it was admitted under.
 */
export function reverify(identity: ClientIdentity, trust: ClientTrust | undefined): ClientIdentity {
  if (!identity.presented || !identity.verified || identity.certificateDer === undefined || trust === undefined) return identity;
  const chain = [identity.certificateDer, ...identity.chainDer];
  const anchor = chain[chain.length - 1] as Buffer;
  if (!trust.anchors.has(fingerprint256(anchor))) return { ...identity, verified: false, error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' };
  if (trust.revoked) {
    // The anchor itself is not checked: OpenSSL does not look up a CRL for the trust anchor either.
    for (let i = 0; i < chain.length - 1; i++) {
      const der = chain[i] as Buffer;
      const issuer = certificateNameDer(der, 'issuer');
      const serial = serialOf(der, i === 0 ? identity.serialNumber : undefined);
      if (issuer !== undefined && serial !== undefined && trust.revoked.get(issuer)?.has(serial)) {
        return { ...identity, verified: false, error: 'CERT_REVOKED' };
      }
    }
  }
  return identity;
}
