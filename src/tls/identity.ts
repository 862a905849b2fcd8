/**
 * Who the downstream client is, read once after the handshake, and whether verify-client lets it in. The server
 * runs with rejectUnauthorized false (see server.ts), so this is where an unverified client is turned away, with
 * the reason OpenSSL gave.
 */
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { CertificateCache, type KnownCertificate } from './certificate-cache.js';
import { certificateParts, selfIssued } from './certificate-der.js';
import { firstToEnd } from './chain-end.js';
import type { ChainFacts } from './chain-facts.js';
import { judgeChain, verdictUntil, verdictUntilNotAfter, type TrustState } from './resumed.js';
import { sessionPeerDer } from './session-peer.js';
import { formatDn, readCertificateNames, type SanType } from './x509-names.js';
import type { VerifyClient } from './server.js';
import { UNTRUSTED_CHAIN } from './untrusted.js';

export interface ClientIdentity {
  presented: boolean;
  verified: boolean;
  /** OpenSSL verify code when presented but not verified (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, …). */
  error: string | undefined;
  /** 'CN=device-1, OU=devices, O=Acme': most specific first, as Java prints. */
  subject: string | undefined;
  /** { CN: ['device-1'], OU: ['devices'], O: ['Acme'] } */
  subjectAttributes: Readonly<Record<string, readonly string[]>>;
  issuer: string | undefined;
  sans: readonly { type: SanType; value: string }[];
  /** keytool colon-hex, upper case. */
  fingerprint256: string | undefined;
  /** Upper-case hex, as OpenSSL prints it. */
  serialNumber: string | undefined;
  /** ISO 8601 (UTC). */
  validTo: string | undefined;
  /**
   * Depth of the last certificate of the chain the client's certificate was verified along, counted as OpenSSL
   * does: 0 for the client certificate itself, so a certificate issued directly by a trusted root has depth 1 and
   * its number of intermediate CAs is chainDepth - 1. Undefined without a certificate.
   */
  chainDepth: number | undefined;
  /** DER of the client certificate (RFC 9440 Client-Cert, `{ssl.client.cert}`); undefined without one. */
  certificateDer: Buffer | undefined;
  /**
   * DER of the certificates its chain was verified along, after the client's own: its issuer first, then that
   * one's, up to and including the trust anchor (TLS order, RFC 9440 Client-Cert-Chain). Empty for a self-signed
   * leaf or without a certificate. Each is the certificate cache's buffer, shared by every connection whose chain holds it.
   */
  chainDer: readonly Buffer[];
  /**
   * Set when no certificate was presented on this connection and a realm's certificate ticket stands for one
   * (src/listener/realm-admission.ts): the realm's name. The DER fields are then empty.
   */
  ticket?: string;
  /** With `ticket`: the chain the certificate it stands for was verified along, to judge it again (chain-facts.ts). */
  ticketChain?: ChainFacts;
}

const ANONYMOUS: ClientIdentity = Object.freeze({
  presented: false,
  verified: false,
  error: undefined,
  subject: undefined,
  subjectAttributes: Object.freeze({}),
  issuer: undefined,
  sans: Object.freeze([]),
  fingerprint256: undefined,
  serialNumber: undefined,
  validTo: undefined,
  chainDepth: undefined,
  certificateDer: undefined,
  chainDer: Object.freeze([]),
});

function verifyCode(socket: TLSSocket): string {
  // Node documents an Error but sets the OpenSSL code string; accept either.
  const raw: unknown = socket.authorizationError;
  if (typeof raw === 'string' && raw.length > 0) return raw;
  if (raw instanceof Error) return (raw as NodeJS.ErrnoException).code ?? raw.message;
  return 'UNKNOWN_VERIFY_ERROR';
}

// More links than any real chain: a guard against a cycle, not a policy.
const MAX_CHAIN = 64;

/** The chain Node linked for the client's certificate, as far as it holds, and why it stops short when it does. */
interface LinkedChain {
  /** DER of each certificate after the client's, in the order walked; none when `error` is set. */
  readonly ders: Buffer[];
  /** An OpenSSL verify code when a link is not a real one or the chain does not end in the truststore. */
  readonly error: string | undefined;
  /**
   * When the chain ends outside the truststore and none of its certificates is issued by a CA of the truststore,
   * the code OpenSSL gives such a chain when nothing else is wrong with it: DEPTH_ZERO_SELF_SIGNED_CERT (the client's certificate is its own issuer), SELF_SIGNED_CERT_IN_CHAIN (a root
   * the client sent), UNABLE_TO_VERIFY_LEAF_SIGNATURE (the client's certificate alone, its issuer unknown) or
   * UNABLE_TO_GET_ISSUER_CERT_LOCALLY (the issuer of a CA it sent unknown).
   */
  readonly untrusted?: string;
}

function x509(der: Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(der);
  } catch {
    return undefined;
  }
}

/**
 * Walks issuerCertificate links from the client certificate. On the server, Node builds them from the chain the
 * client sent and completes it from the context's trust store, ending with a trust anchor that links to itself.
 * Node links a certificate to the first one whose name and key identifier match (X509_check_issued), the client's
 * before the truststore's, and checks no signature: a client can send a look-alike of one of its CAs that OpenSSL
 * passes over (signed by another key, or expired) and Node links, making the chain look shorter or longer than the
 * one OpenSSL verified. So every link is checked here to be signed by the next certificate, and with `trust` the
 * chain must end at one of its certificates; where it fails, no link is kept and the code says why.
 */
function linkedChain(socket: TLSSocket, trust: TrustState | undefined, loops = trust?.issuers.loops === true): LinkedChain {
  // Node would link round the loop until the process runs out of memory: the client's chain is not known
  // (server.ts warns of such a truststore when it is loaded).
  if (loops) return { ders: [], error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' };
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  if (cert?.raw === undefined) return { ders: [], error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' };
  let child = x509(cert.raw);
  const walked = child === undefined ? [] : [child];
  const ders: Buffer[] = [];
  const seen = new Set<string>();
  while (ders.length < MAX_CHAIN) {
    seen.add(cert.fingerprint256);
    const issuer: DetailedPeerCertificate | undefined = cert.issuerCertificate;
    if (issuer === undefined || issuer.raw === undefined || seen.has(issuer.fingerprint256)) break;
    const signer = x509(issuer.raw);
    if (child === undefined || signer === undefined || !child.checkIssued(signer) || !child.verify(signer.publicKey)) {
      return { ders: [], error: 'CERT_SIGNATURE_FAILURE' };
    }
    // The issuers' DER, kept with the connection's identity for its life (live policy judges the chain again), is
    // the same for every client of a CA: one buffer per certificate from the cache, not a copy per connection.
    ders.push(certificates.lookup(issuer.raw)?.der ?? issuer.raw);
    cert = issuer;
    child = signer;
    walked.push(signer);
  }
  if (trust !== undefined && !trust.anchors.some((a) => a.fingerprint256 === cert.fingerprint256)) {
    // OpenSSL looks for issuers in the truststore first, Node among the client's certificates first: where any
    // certificate of the chain is issued by a CA of the truststore, OpenSSL's chain may have reached it after all.
    const reaches = walked.some((c) => trust.anchors.some((a) => c.checkIssued(a) && c.verify(a.publicKey)));
    const alone = ders.length === 0;
    const parts = certificateParts(cert.raw);
    const untrusted = reaches
      ? undefined
      : parts !== undefined && selfIssued(parts)
        ? alone
          ? 'DEPTH_ZERO_SELF_SIGNED_CERT'
          : 'SELF_SIGNED_CERT_IN_CHAIN'
        : alone
          ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
          : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
    return { ders: [], error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', ...(untrusted !== undefined ? { untrusted } : {}) };
  }
  return { ders, error: undefined };
}

/** One cache for the process: what a certificate says does not depend on the listener that received it. */
const certificates = new CertificateCache();

/**
 * A resumed session's certificate, judged again against the listener's current trust (resumed.ts): along the
 * chain Node completed from the current truststore, else along the one a full handshake last verified it with.
 * A chain that verified is not judged again against the same trust until time alone could change the verdict.
 */
function judgeResumed(known: KnownCertificate, socket: TLSSocket, trust: TrustState): { error: string | undefined; chain: readonly Buffer[] } {
  const now = Date.now();
  const last = known.resumed;
  if (last !== undefined && last.trust === trust && now <= last.until) return { error: undefined, chain: last.chain };
  // Verified in a full handshake under this same trust: since then only time has passed, and the verdict holds until
  // the first end of validity or of a CRL's currency along the chain it was verified along (verdictUntil). Read from
  // the DER, without OpenSSL's parse of each certificate (certificate-der.ts): a device's first resumption.
  if (known.verifiedUnder === trust && known.verifiedChain !== undefined) {
    const parts = [known.der, ...known.verifiedChain].map(certificateParts);
    if (parts.every((p) => p !== undefined)) {
      const until = verdictUntilNotAfter(
        parts.map((p) => p.notAfter),
        trust,
      );
      // A clock set back since the full handshake is judged again as judgeChain would (CERT_NOT_YET_VALID).
      if (now <= until && parts.every((p) => p.notBefore <= now)) {
        known.resumed = { trust, chain: known.verifiedChain, until };
        return { error: undefined, chain: known.verifiedChain };
      }
    }
  }
  // judgeChain finds the chain's anchor itself, and names what is missing when there is none.
  const walked = linkedChain(socket, undefined, trust.issuers.loops).ders;
  const leaf = new X509Certificate(known.der);
  const candidates = known.verifiedChain !== undefined ? [walked, known.verifiedChain] : [walked];
  // Of the refusals, the first that found the chain's anchor says why: the chain Node links lacks the intermediate
  // CAs a device sends (a ticket holds none), so "no trusted issuer" from it would hide the expired certificate or
  // CRL that the chain the full handshake verified is refused for, and send the operator to the truststore.
  let reason: string | undefined;
  for (const chain of candidates) {
    const certs = [leaf, ...chain.map((der) => new X509Certificate(der))];
    const error = judgeChain(certs, trust, now);
    if (error === undefined) {
      known.resumed = { trust, chain, until: verdictUntil(certs, trust) };
      return { error, chain };
    }
    if (reason === undefined || (UNTRUSTED_CHAIN.has(reason) && !UNTRUSTED_CHAIN.has(error))) reason = error;
  }
  known.resumed = undefined;
  return { error: reason, chain: walked };
}

/** The identity of a client that presented no certificate. */
export function anonymousIdentity(): ClientIdentity {
  return { ...ANONYMOUS };
}

/**
 * Reads the client certificate of a connected TLS socket. Never throws. With `trust` (the listener's, when it
 * verifies clients), the certificate of a resumed session is judged again against it: OpenSSL only replays the
 * result it stored when the session was made.
 */
export function identify(socket: TLSSocket, trust?: TrustState): ClientIdentity {
  // The client's certificate alone first, from the session (session-peer.ts): linking its chain costs far more
  // (Node completes it from the context's store and converts every link), and is done only for a certificate not
  // yet known.
  let der = sessionPeerDer(socket);
  // A session that could not be read is not taken to mean "no certificate": Node is asked instead.
  if (der === undefined) der = socket.getPeerCertificate(false)?.raw ?? null;
  if (der === null) return anonymousIdentity();
  const known = certificates.lookup(der);
  if (known === undefined) return anonymousIdentity();
  let verified = socket.authorized === true;
  let error = verified ? undefined : verifyCode(socket);
  let chain: readonly Buffer[];
  if (verified && trust !== undefined && socket.isSessionReused()) {
    const judged = judgeResumed(known, socket, trust);
    chain = judged.chain;
    error = judged.error;
    verified = error === undefined;
  } else if (verified && !socket.isSessionReused()) {
    // OpenSSL has just verified this certificate under the listener's trust. While that trust is the same, the
    // chain a full handshake linked for it before leads to the same anchor and is used again; one issued by a CA of
    // the truststore is linked from the trust alone (trusted-issuers.ts); only the rest is linked by Node.
    const found = trust === undefined ? undefined : known.verifiedUnder === trust ? known.verifiedChain : trust.issuers.chainFor(known.der);
    const linked = found === undefined ? linkedChain(socket, trust) : { ders: found, error: undefined };
    chain = linked.ders;
    if (linked.error === undefined) {
      known.verifiedChain = chain;
      known.verifiedUnder = trust;
    } else {
      // Node gives no other chain than the one it linked: the one OpenSSL verified, its depth, cannot be known.
      verified = false;
      error = linked.error;
    }
  } else {
    const linked = linkedChain(socket, trust);
    chain = linked.ders;
    // With ssl.crl, OpenSSL goes on to the CRLs of a chain it could not trust, and what it reports last is the CRL it
    // lacks: the client is told first that its chain reaches no CA of the truststore, as it would be without CRLs.
    // A resumed session holds none of the client's CA certificates, so its chain says nothing either way, unless the
    // client's certificate is its own issuer.
    const decided = !socket.isSessionReused() || linked.untrusted === 'DEPTH_ZERO_SELF_SIGNED_CERT';
    if (error !== undefined && CRL_ERRORS.has(error) && linked.untrusted !== undefined && decided) error = linked.untrusted;
  }
  return {
    presented: true,
    verified,
    error,
    subject: known.subject,
    subjectAttributes: known.subjectAttributes,
    issuer: known.issuer,
    sans: known.sans,
    fingerprint256: known.fingerprint256,
    serialNumber: known.serialNumber,
    validTo: known.validTo,
    chainDepth: chain.length,
    certificateDer: known.der,
    chainDer: chain,
  };
}

// X509_verify_cert_error_string() texts of OpenSSL 3 for the codes a client certificate can fail with.
const VERIFY_MESSAGES: Readonly<Record<string, string>> = {
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_CRL: 'unable to get certificate CRL',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: "unable to decrypt certificate's signature",
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'unable to decode issuer public key',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  CRL_SIGNATURE_FAILURE: 'CRL signature failure',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CRL_NOT_YET_VALID: 'CRL is not yet valid',
  CRL_HAS_EXPIRED: 'CRL expired',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: "format error in certificate's notBefore field",
  ERROR_IN_CERT_NOT_AFTER_FIELD: "format error in certificate's notAfter field",
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  CERT_CHAIN_TOO_LONG: 'certificate chain too long',
  CERT_REVOKED: 'certificate revoked',
  INVALID_CA: 'invalid CA certificate',
  PATH_LENGTH_EXCEEDED: 'path length constraint exceeded',
  INVALID_PURPOSE: 'unsupported certificate purpose',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
  EE_KEY_TOO_SMALL: 'EE certificate key too weak',
  CA_KEY_TOO_SMALL: 'CA certificate key too weak',
  CA_MD_TOO_WEAK: 'CA signature digest algorithm too weak',
  INVALID_CALL: 'invalid certificate verification context',
};

/** OpenSSL's text for a verify code (`CERT_REVOKED` → `certificate revoked`). */
export function verifyCodeText(code: string): string {
  return VERIFY_MESSAGES[code] ?? 'certificate verification failed';
}

// Codes about a CA's CRL (ssl.crl), which OpenSSL reports after an untrusted chain's own.
const CRL_ERRORS = new Set(['UNABLE_TO_GET_CRL', 'CRL_HAS_EXPIRED', 'CRL_NOT_YET_VALID', 'CRL_SIGNATURE_FAILURE', 'UNABLE_TO_GET_CRL_ISSUER']);


/**
 * The CA a chain that reaches no trusted root lacks: the issuer of the last certificate linked (one of the truststore
 * when only an intermediate CA was imported, or one the client sent), else the client certificate's own issuer.
 */
function missingIssuer(identity: ClientIdentity): string {
  const top = identity.chainDer[identity.chainDer.length - 1];
  if (top === undefined) return identity.issuer ?? '?';
  try {
    return formatDn(readCertificateNames(top).issuer);
  } catch {
    return identity.issuer ?? '?';
  }
}

function subjectOfDer(der: Buffer): string {
  try {
    return formatDn(readCertificateNames(der).subject);
  } catch {
    return '?';
  }
}

function describeFailure(identity: ClientIdentity): string {
  const code = identity.error ?? 'UNKNOWN_VERIFY_ERROR';
  const text = verifyCodeText(code);
  if (UNTRUSTED_CHAIN.has(code) && identity.issuer !== undefined) {
    return `${code}: ${text}; untrusted issuer "${missingIssuer(identity)}" (not in the truststore)`;
  }
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' && identity.subject !== undefined) {
    return `${code}: ${text} "${identity.subject}" is not in the truststore`;
  }
  if (code === 'CERT_HAS_EXPIRED' && identity.certificateDer !== undefined) {
    // OpenSSL says the same of a CA of the chain that has expired: the first certificate to end is the one.
    const first = firstToEnd([identity.certificateDer, ...identity.chainDer]);
    const ca = first === undefined || first.index === 0 ? undefined : identity.chainDer[first.index - 1];
    if (first !== undefined && ca !== undefined) return `${code}: ${text}: a CA of its chain, "${subjectOfDer(ca)}", expired at ${new Date(first.end).toISOString()}`;
  }
  if (code === 'CERT_HAS_EXPIRED' && identity.validTo !== undefined) {
    return `${code}: ${text} (valid to ${identity.validTo})`;
  }
  // With ssl.crl every CA of the chain is checked, so the entry or the missing CRL may be a CA's, not the leaf's.
  if (code === 'CERT_REVOKED') {
    return `${code}: ${text}: "${identity.subject ?? '?'}" (serial ${identity.serialNumber ?? '?'}) or a CA of its chain is listed on a CRL (ssl.crl)`;
  }
  if (code === 'CRL_HAS_EXPIRED') {
    return `${code}: ${text}: the CRL of "${identity.issuer ?? '?'}" or of another CA of the chain is past its nextUpdate; install a fresh CRL (ssl.crl)`;
  }
  if (code === 'UNABLE_TO_GET_CRL') {
    return `${code}: ${text}: no CRL from "${identity.issuer ?? '?'}" or from another CA of the chain is loaded (ssl.crl)`;
  }
  return `${code}: ${text}`;
}

function depthFailure(identity: ClientIdentity, verifyDepth: number | undefined): string | undefined {
  if (verifyDepth === undefined || identity.chainDepth === undefined) return undefined;
  const intermediates = Math.max(0, identity.chainDepth - 1);
  if (intermediates <= verifyDepth) return undefined;
  return `CERT_CHAIN_TOO_LONG: certificate chain too long: "${identity.subject ?? '?'}" chains to its trust anchor through ${intermediates} intermediate CA${intermediates === 1 ? '' : 's'}, ssl.verify-depth allows ${verifyDepth}`;
}

/**
 * Why this client must be refused under verify-client, or undefined to admit: 'no client certificate sent',
 * 'CERT_HAS_EXPIRED: certificate has expired …', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE: … untrusted issuer …',
 * 'CERT_REVOKED: certificate revoked: …', 'CRL_HAS_EXPIRED: CRL expired: …'.
 * `optional` admits a client that sent none but refuses one whose certificate does not verify.
 * `verifyDepth` (ssl.verify-depth) refuses a verified certificate with more intermediate CAs than it allows, as
 * OpenSSL's verify depth would (CERT_CHAIN_TOO_LONG).
 */
export function refusalReason(identity: ClientIdentity, verifyClient: VerifyClient, verifyDepth?: number): string | undefined {
  if (verifyClient === 'none') return undefined;
  if (!identity.presented) return verifyClient === 'required' ? 'no client certificate sent' : undefined;
  return identity.verified ? depthFailure(identity, verifyDepth) : describeFailure(identity);
}
