/**
 * What a realm's certificate ticket keeps of the chain its certificate was verified along, so that the ticket can be
 * judged again wherever and whenever it is shown, as a connection's certificate is after a CRL change or a reload
 * (reverify.ts): its root still trusted, nothing of its chain revoked, nothing of it expired. A ticket cannot carry
 * the certificates themselves (a cookie holds about 4 KB), so it carries what those judgments read: the root's
 * fingerprint, each lower certificate's serial number and its issuer (by name and key identifier), and when the
 * first of them ends.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { colonHex } from './certificate-cache.js';
import { certificateParts } from './certificate-der.js';
import { serialKey, type Revocations } from './crl.js';
import { verifyCodeText } from './identity.js';
import { akidAllows, crlVerdict, signedByIssuer, validityOf, type TrustState } from './resumed.js';

/** A certificate below the root, as a CRL of its issuer lists it. */
export interface ChainLink {
  /** Its serial number, as CRLs are keyed (serialKey). */
  readonly serial: string;
  /** Its issuer's Name: the first 16 bytes of the SHA-256 of its DER, base64url (nameKey). */
  readonly issuer: string;
  /** Its issuer's key identifier (the issuer's subjectKeyIdentifier, else its own authorityKeyIdentifier), hex; '' when neither is there. */
  readonly keyId: string;
}

export interface ChainFacts {
  /** SHA-256 fingerprint (keytool's colon hex) of the chain's last certificate: the root it was verified up to. */
  readonly root: string;
  /** When the first certificate of the chain ends, in ms since the epoch. */
  readonly end: number;
  /** Each certificate below the root, the client's first. */
  readonly links: readonly ChainLink[];
}

/** A Name's key: a ticket holds a name in 22 characters, however long the name. */
function nameKey(der: Buffer): string {
  return createHash('sha256').update(der).digest().subarray(0, 16).toString('base64url');
}

/** Each CRL's issuer, as nameKey: a CRL is hashed once, however many tickets are judged against it. */
const crlIssuers = new WeakMap<Revocations, string>();

function crlIssuer(crl: Revocations): string {
  let key = crlIssuers.get(crl);
  if (key === undefined) crlIssuers.set(crl, (key = nameKey(Buffer.from(crl.issuerDer, 'binary'))));
  return key;
}

/**
 * The facts of a verified chain: `certificateDer`, then `chainDer` up to and including the anchor (a ClientIdentity's
 * fields). Undefined when a certificate's DER is not laid out as RFC 5280 says (OpenSSL accepts some such, a negative
 * serial number for one).
 */
export function chainFacts(certificateDer: Buffer, chainDer: readonly Buffer[]): ChainFacts | undefined {
  const ders = [certificateDer, ...chainDer];
  const parts = ders.map((der) => certificateParts(der));
  if (parts.some((p) => p === undefined)) return undefined;
  const all = parts as NonNullable<(typeof parts)[number]>[];
  const links = all.slice(0, -1).map((p, i) => {
    const issuerKey = all[i + 1]?.subjectKeyId ?? (p.authorityKeyId === 'complex' ? undefined : p.authorityKeyId);
    return { serial: serialKey(p.serialNumber), issuer: nameKey(p.issuer), keyId: issuerKey?.toString('hex') ?? '' };
  });
  return {
    root: colonHex(createHash('sha256').update(ders[ders.length - 1] as Buffer).digest()),
    end: Math.min(...all.map((p) => p.notAfter)),
    links,
  };
}

/**
 * The facts of the chains already read, by their certificate's DER buffer: an identity's buffers are the certificate
 * cache's (certificate-cache.ts), one per certificate, so a device whose every page request issues a ticket reads its
 * chain once. Kept with the chain's buffers, which a chain linked again under a new trust may change.
 */
const known = new WeakMap<Buffer, { readonly chainDer: readonly Buffer[]; readonly facts: ChainFacts | undefined }>();

/** chainFacts, read once for a certificate and the chain it was verified along. */
export function chainFactsOf(certificateDer: Buffer, chainDer: readonly Buffer[]): ChainFacts | undefined {
  const seen = known.get(certificateDer);
  if (seen !== undefined && seen.chainDer.length === chainDer.length && seen.chainDer.every((der, i) => der === chainDer[i])) return seen.facts;
  const facts = chainFacts(certificateDer, chainDer);
  known.set(certificateDer, { chainDer: [...chainDer], facts });
  return facts;
}

/**
 * The CRLs of `link`'s issuer among `revocations`: those that name it (and whose authority key identifier, where
 * both have one, is its key's, as OpenSSL requires), and of them those that are its own. The root (`issuer` given)
 * is known by its key, as for a connection's chain; a lower CA is known to a ticket by its name and key identifier
 * alone, so every CRL that names it is taken for its own.
 */
function issuerCrls(link: ChainLink, issuer: X509Certificate | undefined, revocations: readonly Revocations[]): { named: Revocations[]; own: Revocations[] } {
  const named = revocations.filter((r) => crlIssuer(r) === link.issuer && akidAllows(r, link.keyId));
  return { named, own: issuer === undefined ? named : named.filter((r) => signedByIssuer(r, issuer)) };
}

/** The trusts whose truststore holds the chain's root, each with that root. */
function holding(facts: ChainFacts, trusts: readonly TrustState[]): { trust: TrustState; anchor: X509Certificate }[] {
  return trusts.flatMap((trust) => {
    const anchor = trust.anchors.find((a) => a.fingerprint256 === facts.root);
    return anchor === undefined ? [] : [{ trust, anchor }];
  });
}

/** Why `facts` do not verify under one listener's trust (an OpenSSL verify code); undefined when they do. */
function judgeUnder(facts: ChainFacts, anchor: X509Certificate, trust: TrustState, now: number): string | undefined {
  const expired = validityOf(anchor, now);
  if (expired !== undefined || trust.revocations === undefined) return expired;
  for (const [i, link] of facts.links.entries()) {
    const { named, own } = issuerCrls(link, i === facts.links.length - 1 ? anchor : undefined, trust.revocations);
    const code = crlVerdict(link.serial, named, own, now);
    if (code !== undefined) return code;
  }
  return undefined;
}

/**
 * Why a ticket's chain is not honoured now, as an OpenSSL verify code; undefined when it is. `trusts` are those of
 * every listener of the gateway that verifies clients: a ticket's cookie goes to every port of its host, and is
 * typically issued where a page asks for the certificate and used where a WebSocket does not. It is refused when the
 * CRLs of any listener holding its root revoke its certificate or a CA of its chain (whatever else that listener's
 * CRLs lack), and honoured while at least one listener holding its root would verify the chain.
 */
export function judgeChainFacts(facts: ChainFacts, trusts: readonly TrustState[], now = Date.now()): string | undefined {
  // A certificate is valid up to and including its notAfter, as validityOf judges the root.
  if (facts.end < now) return 'CERT_HAS_EXPIRED';
  const holders = holding(facts, trusts);
  for (const { trust, anchor } of holders) {
    for (const [i, link] of facts.links.entries()) {
      const { own } = issuerCrls(link, i === facts.links.length - 1 ? anchor : undefined, trust.revocations ?? []);
      if (own.some((r) => r.serials.has(link.serial))) return 'CERT_REVOKED';
    }
  }
  let failure: string | undefined;
  for (const { trust, anchor } of holders) {
    const code = judgeUnder(facts, anchor, trust, now);
    if (code === undefined) return undefined;
    failure ??= code;
  }
  return failure ?? 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
}

const FAILURES: Readonly<Record<string, string>> = {
  CERT_REVOKED: 'it or a CA of its chain is listed on a CRL (ssl.crl)',
  CERT_HAS_EXPIRED: 'it or a CA of its chain has expired',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its root CA is in the truststore of no accept that verifies clients',
  UNABLE_TO_GET_CRL: 'no CRL of a CA of its chain is loaded (ssl.crl)',
  CRL_HAS_EXPIRED: 'the CRL of a CA of its chain is past its nextUpdate (ssl.crl)',
};

/** judgeChainFacts' code with what it means for the certificate: `CERT_REVOKED: it or a CA of its chain is listed…`. */
export function chainFactsFailure(code: string): string {
  return `${code}: ${FAILURES[code] ?? verifyCodeText(code)}`;
}
