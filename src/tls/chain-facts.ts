/**
 * What a realm's certificate ticket keeps of the chain its certificate was verified along, so that the ticket can be
 * judged again wherever and whenever it is shown, as a connection's certificate is after a CRL change or a reload
 * (reverify.ts): its root still trusted, nothing of its chain revoked, nothing of it expired. A ticket cannot carry
 * the certificates themselves (a cookie holds about 4 KB), so it carries what those judgments read: the root's
 * fingerprint, each lower certificate's serial number and issuer name, and when the first of them ends.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { colonHex } from './certificate-cache.js';
import { certificateParts } from './certificate-der.js';
import { serialKey } from './crl.js';
import { verifyCodeText } from './identity.js';
import { revocationOf, validityOf, type TrustState } from './resumed.js';

export interface ChainFacts {
  /** SHA-256 fingerprint (keytool's colon hex) of the chain's last certificate: the root it was verified up to. */
  readonly root: string;
  /** When the first certificate of the chain ends, in ms since the epoch. */
  readonly end: number;
  /**
   * Each certificate below the root, the client's first: its serial number (as CRLs are keyed, serialKey) and its
   * issuer's Name, DER as a binary string (compared with a CRL's issuer byte for byte, as OpenSSL does).
   */
  readonly links: readonly { readonly serial: string; readonly issuer: string }[];
}

/**
 * The facts of a verified chain: `certificateDer`, then `chainDer` up to and including the anchor (a ClientIdentity's
 * fields). Undefined when a certificate's DER is not laid out as RFC 5280 says (OpenSSL accepts some such).
 */
export function chainFacts(certificateDer: Buffer, chainDer: readonly Buffer[]): ChainFacts | undefined {
  const ders = [certificateDer, ...chainDer];
  const links: { serial: string; issuer: string }[] = [];
  let end = Number.POSITIVE_INFINITY;
  for (const [i, der] of ders.entries()) {
    const parts = certificateParts(der);
    if (parts === undefined) return undefined;
    end = Math.min(end, parts.notAfter);
    if (i < ders.length - 1) links.push({ serial: serialKey(parts.serialNumber), issuer: parts.issuer.toString('binary') });
  }
  return { root: colonHex(createHash('sha256').update(ders[ders.length - 1] as Buffer).digest()), end, links };
}

/** Why `facts` do not verify under one listener's trust (an OpenSSL verify code); undefined when they do. */
function judgeUnder(facts: ChainFacts, anchor: X509Certificate, trust: TrustState, now: number): string | undefined {
  const expired = validityOf(anchor, now);
  if (expired !== undefined) return expired;
  if (trust.revocations === undefined) return undefined;
  for (const [i, link] of facts.links.entries()) {
    // The last link's issuer is the root, whose CRLs must be signed by its key; a lower issuer (an intermediate
    // the client sent) is known here by name only, and its CRLs by the name they give.
    const issuer = i === facts.links.length - 1 ? anchor : undefined;
    const code = revocationOf(link.serial, link.issuer, issuer, trust.revocations, now);
    if (code !== undefined) return code;
  }
  return undefined;
}

/**
 * Why a ticket's chain is not honoured now, as an OpenSSL verify code; undefined when it is. `trusts` are those of
 * every listener of the gateway that verifies clients: a ticket's cookie goes to every port of its host, and is
 * typically issued where a page asks for the certificate and used where a WebSocket does not. It is honoured while
 * at least one listener whose truststore holds its root would still verify its chain, and no listener's CRLs revoke
 * it or a CA of its chain.
 */
export function judgeChainFacts(facts: ChainFacts, trusts: readonly TrustState[], now = Date.now()): string | undefined {
  if (facts.end <= now) return 'CERT_HAS_EXPIRED';
  let passed = false;
  let failure: string | undefined;
  for (const trust of trusts) {
    const anchor = trust.anchors.find((a) => a.fingerprint256 === facts.root);
    if (anchor === undefined) continue;
    const code = judgeUnder(facts, anchor, trust, now);
    if (code === 'CERT_REVOKED') return code;
    if (code === undefined) passed = true;
    else failure ??= code;
  }
  return passed ? undefined : (failure ?? 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
}

const TICKET_REFUSALS: Readonly<Record<string, string>> = {
  CERT_REVOKED: 'it or a CA of its chain is listed on a CRL (ssl.crl)',
  CERT_HAS_EXPIRED: 'it or a CA of its chain has expired',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its root CA is in the truststore of no accept that verifies clients',
  UNABLE_TO_GET_CRL: 'no CRL of a CA of its chain is loaded (ssl.crl)',
  CRL_HAS_EXPIRED: 'the CRL of a CA of its chain is past its nextUpdate (ssl.crl)',
};

/** Why a certificate ticket is refused (judgeChainFacts' `code`), for the log and a close reason. */
export function ticketRefusal(subject: string, code: string): string {
  return `certificate ticket of "${subject}" refused (${code}): ${TICKET_REFUSALS[code] ?? verifyCodeText(code)}`;
}
