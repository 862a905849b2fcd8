/**
 * When a verified client certificate stops verifying with nothing but time passing: the first end of validity
 * along the chain it was verified with, its own and its CAs' up to the trust anchor (OpenSSL checks the anchor's
 * dates too). A connection's certificate is judged at the handshake only; this is when to judge it again.
 */
import { X509Certificate } from 'node:crypto';
import { certificateParts } from './certificate-der.js';
import type { ClientIdentity } from './identity.js';

/**
 * Keyed by the DER buffer itself: an identity's buffers are the certificate cache's (certificate-cache.ts), one per
 * certificate however many connections present it, so a device that reconnects costs a lookup, not a parse.
 */
const ends = new WeakMap<Buffer, number>();

function endOf(der: Buffer): number {
  let end = ends.get(der);
  if (end === undefined) {
    end = certificateParts(der)?.notAfter ?? openSslEnd(der);
    ends.set(der, end);
  }
  return end;
}

/** OpenSSL's reading, for a certificate the DER reader leaves to it; one it cannot read either never ends here. */
function openSslEnd(der: Buffer): number {
  try {
    const end = Date.parse(new X509Certificate(der).validTo);
    return Number.isNaN(end) ? Number.POSITIVE_INFINITY : end;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Of `ders` (a certificate, then its CAs), the one whose validity ends first (the certificate itself on a tie) and
 * when, in ms since the epoch; undefined when none has a readable end.
 */
export function firstToEnd(ders: readonly Buffer[]): { readonly index: number; readonly end: number } | undefined {
  let first: { index: number; end: number } | undefined;
  ders.forEach((der, index) => {
    const end = endOf(der);
    if (end !== Number.POSITIVE_INFINITY && (first === undefined || end < first.end)) first = { index, end };
  });
  return first;
}

/**
 * The first notAfter (ms since the epoch) of a verified identity's certificate and the chain it was verified along,
 * or of those a realm's certificate ticket stands for; undefined for an identity that is not verified or holds no
 * certificate.
 */
export function chainEnd(identity: ClientIdentity | undefined): number | undefined {
  if (identity === undefined || !identity.verified) return undefined;
  if (identity.ticketChain !== undefined) return identity.ticketChain.end;
  if (identity.certificateDer === undefined) return undefined;
  return firstToEnd([identity.certificateDer, ...identity.chainDer])?.end;
}
