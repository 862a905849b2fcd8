/**
 * The client certificate of a resumed TLS session, judged again. On resumption OpenSSL verifies nothing: it hands
 * back the verification result stored in the session when it was made, and the client's intermediate CAs are not
 * in a session ticket at all. A certificate revoked, expired or no longer trusted since then would still pass.
 * So the chain a resumed client's certificate was verified along is checked here against the listener's trust as
 * it is now: every link signed by the next, every certificate within its validity, the chain ending at a
 * root of the current truststore, and (with ssl.crl) every certificate below that root absent from a current CRL of
 * its issuer. The answer is an OpenSSL verify code, as a full handshake would give.
 *
 * Access rules need nothing here: they are applied to every upgrade, resumed or not, from the identity.
 */
import type { X509Certificate } from 'node:crypto';
import { certificateParts, crlSignedBy } from './certificate-der.js';
import { serialKey, subjectDer, type Revocations } from './crl.js';
import { TrustedIssuers } from './trusted-issuers.js';

/** What a listener trusts now: its truststore's certificates and, with ssl.crl, what the CRLs revoke. */
export interface TrustState {
  readonly anchors: readonly X509Certificate[];
  readonly revocations: readonly Revocations[] | undefined;
  /** The anchors read for linking a client's chain without Node (trusted-issuers.ts). */
  readonly issuers: TrustedIssuers;
}

export function trustState(anchors: readonly X509Certificate[], revocations: readonly Revocations[] | undefined): TrustState {
  return { anchors, revocations, issuers: new TrustedIssuers(anchors) };
}

/** Why `cert` is outside its validity at `now` (an OpenSSL verify code); undefined when within it. */
export function validityOf(cert: X509Certificate, now: number): string | undefined {
  if (Date.parse(cert.validFrom) > now) return 'CERT_NOT_YET_VALID';
  if (Date.parse(cert.validTo) < now) return 'CERT_HAS_EXPIRED';
  return undefined;
}

/** Whether each CRL was signed by each issuer's key, by the issuer's fingerprint: a CRL is checked once per CA. */
const crlSignatures = new WeakMap<Revocations, Map<string, boolean>>();

/**
 * Whether `crl` is `issuer`'s: a CRL that only names it (another CA's of the same name, one made up, one signed in a
 * way this cannot check) revokes nothing of its.
 */
export function signedByIssuer(crl: Revocations, issuer: X509Certificate): boolean {
  if (crl.signed === undefined) return false;
  let verdicts = crlSignatures.get(crl);
  if (verdicts === undefined) crlSignatures.set(crl, (verdicts = new Map()));
  const key = issuer.fingerprint256;
  let verdict = verdicts.get(key);
  if (verdict === undefined) verdicts.set(key, (verdict = crlSignedBy(crl.signed, issuer.publicKey)));
  return verdict;
}

/** Each CA's subjectKeyIdentifier in hex ('' without one), read once per certificate. */
const keyIds = new WeakMap<X509Certificate, string>();

function keyIdOf(cert: X509Certificate): string {
  let id = keyIds.get(cert);
  if (id === undefined) keyIds.set(cert, (id = certificateParts(cert.raw)?.subjectKeyId?.toString('hex') ?? ''));
  return id;
}

/**
 * Whether a CRL can be `keyId`'s CA's by its authority key identifier: OpenSSL passes over a CRL whose identifier
 * names another key (crl_akid_check), as if it were not there. Without either identifier, the name decides.
 */
export function akidAllows(crl: Revocations, keyId: string): boolean {
  return crl.authorityKeyId === '' || keyId === '' || crl.authorityKeyId === keyId;
}

function revocation(cert: X509Certificate, issuer: X509Certificate, revocations: readonly Revocations[], now: number): string | undefined {
  const issuerName = subjectDer(issuer);
  const keyId = keyIdOf(issuer);
  const named = revocations.filter((r) => r.issuerDer === issuerName && akidAllows(r, keyId));
  return crlVerdict(serialKey(cert.serialNumber), named, named.filter((r) => signedByIssuer(r, issuer)), now);
}

/**
 * What an issuer's CRLs say of the certificate with `serial` (serialKey): `named` are those that name the issuer,
 * `crls` those of them that are its own. An OpenSSL verify code, or undefined when they say it is good.
 */
export function crlVerdict(serial: string, named: readonly Revocations[], crls: readonly Revocations[], now: number): string | undefined {
  if (named.length === 0) return 'UNABLE_TO_GET_CRL';
  if (crls.length === 0) return 'CRL_SIGNATURE_FAILURE';
  if (crls.some((r) => r.serials.has(serial))) return 'CERT_REVOKED';
  if (crls.every((r) => r.thisUpdate > now)) return 'CRL_NOT_YET_VALID';
  if (crls.every((r) => r.nextUpdate !== undefined && r.nextUpdate < now)) return 'CRL_HAS_EXPIRED';
  return undefined;
}

/**
 * Why `chain` (the client's certificate first, then each issuer) does not verify against `trust` at `now`, as an
 * OpenSSL verify code; undefined when it does.
 */
export function judgeChain(chain: readonly X509Certificate[], trust: TrustState, now = Date.now()): string | undefined {
  const anchors = new Set(trust.anchors.map((a) => a.fingerprint256));
  // The anchor is the highest certificate of the chain in the truststore, and must be a root: OpenSSL (which is not
  // given partial chains) trusts only a self-issued one. A CA of the truststore below it is judged like any other
  // link, against its issuer's CRL included, as OpenSSL's X509_V_FLAG_CRL_CHECK_ALL has it.
  let top = -1;
  for (let i = chain.length - 1; i >= 0 && top < 0; i--) if (anchors.has((chain[i] as X509Certificate).fingerprint256)) top = i;
  if (top < 0) return chain.length > 1 ? 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' : 'UNABLE_TO_VERIFY_LEAF_SIGNATURE';
  const anchor = chain[top] as X509Certificate;
  if (!anchor.checkIssued(anchor)) return 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
  for (let i = 0; i <= top; i++) {
    const cert = chain[i] as X509Certificate;
    const expired = validityOf(cert, now);
    if (expired !== undefined) return expired;
    if (i === top) break;
    const issuer = chain[i + 1] as X509Certificate;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return 'CERT_SIGNATURE_FAILURE';
    if (trust.revocations !== undefined) {
      const revoked = revocation(cert, issuer, trust.revocations, now);
      if (revoked !== undefined) return revoked;
    }
  }
  return undefined;
}

/**
 * Until when a chain that verified against `trust` keeps verifying with nothing but time passing: the first end of
 * validity of its certificates or of a CRL's currency. Only time can change the verdict while `trust` stays the
 * same object (a rebuilt listener has a new one), so a verdict may be reused until then.
 */
export function verdictUntil(chain: readonly X509Certificate[], trust: TrustState): number {
  return verdictUntilNotAfter(
    chain.map((cert) => Date.parse(cert.validTo)),
    trust,
  );
}

/** verdictUntil, from the end of each certificate's validity (ms since the epoch). */
export function verdictUntilNotAfter(notAfters: readonly number[], trust: TrustState): number {
  let until = Number.POSITIVE_INFINITY;
  for (const notAfter of notAfters) until = Math.min(until, notAfter);
  for (const r of trust.revocations ?? []) if (r.nextUpdate !== undefined) until = Math.min(until, r.nextUpdate);
  return until;
}
