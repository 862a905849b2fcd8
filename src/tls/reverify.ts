/**
 * Judging a connected client's certificate again after the trust it was admitted under changed: a CRL that now
 * revokes it (or a CA of its chain), a truststore that no longer holds its anchor, a certificate that has expired
 * since. Node cannot rerun OpenSSL's verification without the client's private key, so the chain OpenSSL built at
 * the handshake (identity.chainDer) is judged as a resumed session's is (resumed.ts judgeChain): the result is an
 * identity as identify() would have made it, which refusalReason() and the access-constraints then judge exactly
 * as at the handshake.
 */
import { X509Certificate } from 'node:crypto';
import type { ClientIdentity } from './identity.js';
import { judgeChain, type TrustState } from './resumed.js';

/**
 * The identity as `trust` (the listener's now) judges it: unchanged when it was not verified before (refused or
 * anonymous clients are not re-admitted by this) or still verifies, else verified false with OpenSSL's code.
 */
export function reverify(identity: ClientIdentity, trust: TrustState | undefined, now = Date.now()): ClientIdentity {
  if (!identity.presented || !identity.verified || identity.certificateDer === undefined || trust === undefined) return identity;
  let chain: X509Certificate[];
  try {
    chain = [identity.certificateDer, ...identity.chainDer].map((der) => new X509Certificate(der));
  } catch {
    return identity; // OpenSSL parsed these at the handshake; nothing new can be learned from them here
  }
  const error = judgeChain(chain, trust, now);
  return error === undefined ? identity : { ...identity, verified: false, error };
}

