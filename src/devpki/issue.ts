/**
 * Issues certificates for the development PKI (`gateway dev-pki`) and for tests: CAs, server and client
 * certificates with chosen subjects, SANs, validity and key type. Not a CA for production use: keys are generated in
 * memory and the caller decides where (if anywhere) they are written.
 *
 * Node's crypto makes the keys and the signatures; node-forge only lays out the certificate's fields, since its own
 * keys and signatures are RSA alone and devices commonly hold P-256 keys.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { GatewayError } from '../errors.js';

/** `rsa`: RSA (2048 bits unless `bits` says); `ec`: ECDSA on NIST P-256. */
export type KeyType = 'rsa' | 'ec';

export interface Issued {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM PKCS#8 private key. */
  readonly key: string;
  readonly x509: X509Certificate;
  readonly keyObject: KeyObject;
  /** The subject as forge lays it out, for the issuer field of certificates this one signs. */
  readonly subjectFields: forge.pki.CertificateField[];
}

export interface SubjectAttrs {
  CN?: string;
  OU?: string;
  O?: string;
  L?: string;
  C?: string;
}

export interface IssueOptions {
  subject: SubjectAttrs;
  /** `DNS:x`, `IP:1.2.3.4`, `URI:spiffe://…`, `EMAIL:a@b`. */
  sans?: string[];
  /** Signed by this CA; self-signed when absent. */
  issuer?: Issued;
  isCA?: boolean;
  /** Days from now; negative values make an expired certificate. Defaults: from -1 day to +365 days. */
  notBeforeDays?: number;
  notAfterDays?: number;
  usage?: 'server' | 'client' | 'both';
  /** Default `rsa`. */
  keyType?: KeyType;
  /** RSA modulus length (an EC key is always P-256). */
  bits?: number;
}

function subjectToForge(s: SubjectAttrs): forge.pki.CertificateField[] {
  const order: (keyof SubjectAttrs)[] = ['C', 'O', 'OU', 'L', 'CN'];
  const shortNames: Record<keyof SubjectAttrs, string> = { CN: 'CN', OU: 'OU', O: 'O', L: 'L', C: 'C' };
  return order.filter((k) => s[k] !== undefined).map((k) => ({ shortName: shortNames[k], value: s[k] as string }));
}

function sanToForge(san: string): { type: number; value?: string; ip?: string } {
  const idx = san.indexOf(':');
  const kind = san.slice(0, idx).toUpperCase();
  const value = san.slice(idx + 1);
  switch (kind) {
    case 'DNS':
      return { type: 2, value };
    case 'EMAIL':
      return { type: 1, value };
    case 'URI':
      return { type: 6, value };
    case 'IP':
      return { type: 7, ip: value };
    default:
      throw new GatewayError('GW_ERR_USAGE', `unknown subject alternative name kind in "${san}" (use DNS:, IP:, URI: or EMAIL:)`);
  }
}

const DAY = 24 * 60 * 60 * 1000;
const { asn1 } = forge;
const oid = (dotted: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
const sequence = (...items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
/** forge's own API, which its type declarations leave out or narrow. */
const forgeApi = {
  fromDer: asn1.fromDer as unknown as (bytes: string, options: { decodeBitStrings: boolean }) => forge.asn1.Asn1,
  getTBSCertificate: (forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate,
};

function derOf(node: forge.asn1.Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'binary');
}

/** Bit strings are kept as bytes: forge would otherwise read an RSA key's as nested ASN.1. */
function asn1Of(der: Buffer): forge.asn1.Asn1 {
  return forgeApi.fromDer(der.toString('binary'), { decodeBitStrings: false });
}

/** The AlgorithmIdentifier of a SHA-256 signature by `key`: RSA's carries NULL (RFC 4055), ECDSA's nothing (RFC 5758). */
function signatureAlgorithm(key: KeyObject): forge.asn1.Asn1 {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return sequence(oid('1.2.840.113549.1.1.11'), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''));
    case 'ec':
      return sequence(oid('1.2.840.10045.4.3.2'));
    default:
      throw new GatewayError('GW_ERR_USAGE', `the issuer's key is ${key.asymmetricKeyType ?? 'a secret key'}: certificates are signed with RSA or EC keys only`);
  }
}

/** RFC 5280 4.2.1.2, method 1: the SHA-1 of the public key's bits (forge would compute it from RSA keys only). */
function keyIdentifier(publicKey: KeyObject): string {
  const spki = asn1Of(publicKey.export({ type: 'spki', format: 'der' }));
  const bits = (spki.value as forge.asn1.Asn1[])[1]!.value as string;
  return createHash('sha1').update(Buffer.from(bits.slice(1), 'binary')).digest().toString('binary');
}

function subjectKeyIdentifier(publicKey: KeyObject): object {
  return { name: 'subjectKeyIdentifier', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, keyIdentifier(publicKey)) };
}

/** Names the issuer's key, which RFC 5280 4.2.1.1 asks of every certificate a CA issues. */
function authorityKeyIdentifier(issuerKey: KeyObject): object {
  const id = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, keyIdentifier(createPublicKey(issuerKey)));
  return { name: 'authorityKeyIdentifier', value: sequence(id) };
}

/**
 * A positive random serial number of 16 bytes, in hex, whose first byte is 0x40–0x7f: the high bit clear so that DER
 * does not read it as negative, and the next one set so that it is never 0x00. forge writes the bytes as they are,
 * and an INTEGER that begins with two zero bytes is not DER: OpenSSL refuses the whole certificate (one issued
 * certificate in 32,768 failed so, at random).
 */
export function randomSerial(bytes: Buffer = randomBytes(16)): string {
  const serial = Buffer.from(bytes);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  return serial.toString('hex');
}

/**
 * Signs a TBSCertificate with `issuerKey`, whose algorithm it names in its signature field (replaced here), and
 * returns the certificate.
 */
export function signTbs(tbs: forge.asn1.Asn1, issuerKey: KeyObject): X509Certificate {
  // TBSCertificate: [0] version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, [3] extensions.
  (tbs.value as forge.asn1.Asn1[])[2] = signatureAlgorithm(issuerKey);
  const signature = sign('sha256', derOf(tbs), issuerKey);
  const certificate = sequence(tbs, signatureAlgorithm(issuerKey), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${signature.toString('binary')}`));
  return new X509Certificate(derOf(certificate));
}

// forge encodes a certificate's public key and signature algorithm as RSA's; placeholders stand in for both, and the
// real ones replace them in its output.
const PLACEHOLDER_KEY = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3'));

/** Signs the certificate forge has laid out, for `publicKey`, with `issuerKey`; its public key and signature info are overwritten. */
export function signCertificate(cert: forge.pki.Certificate, publicKey: KeyObject, issuerKey: KeyObject): X509Certificate {
  cert.publicKey = PLACEHOLDER_KEY;
  cert.siginfo.algorithmOid = forge.pki.oids['sha256WithRSAEncryption']!;
  const tbs = forgeApi.getTBSCertificate(cert);
  (tbs.value as forge.asn1.Asn1[])[6] = asn1Of(publicKey.export({ type: 'spki', format: 'der' }));
  return signTbs(tbs, issuerKey);
}

function generateKeys(opts: IssueOptions): { privateKey: KeyObject; publicKey: KeyObject } {
  const type = opts.keyType ?? 'rsa';
  if (type === 'ec') return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  if (type === 'rsa') return generateKeyPairSync('rsa', { modulusLength: opts.bits ?? 2048 });
  throw new GatewayError('GW_ERR_USAGE', `unknown key type "${String(type)}" (use rsa or ec)`);
}

export function issue(opts: IssueOptions): Issued {
  const { privateKey, publicKey } = generateKeys(opts);
  const subjectFields = subjectToForge(opts.subject);

  const cert = forge.pki.createCertificate();
  cert.serialNumber = randomSerial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now + (opts.notBeforeDays ?? -1) * DAY);
  cert.validity.notAfter = new Date(now + (opts.notAfterDays ?? 365) * DAY);
  cert.setSubject(subjectFields);
  cert.setIssuer(opts.issuer ? opts.issuer.subjectFields : subjectFields);

  const extensions: object[] = [];
  if (opts.isCA) {
    extensions.push({ name: 'basicConstraints', cA: true, critical: true });
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    extensions.push({ name: 'basicConstraints', cA: false });
    // Key encipherment is RSA key transport; an EC key only signs (RFC 5480 3).
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: privateKey.asymmetricKeyType === 'rsa', critical: true });
    const usage = opts.usage ?? 'both';
    extensions.push({
      name: 'extKeyUsage',
      serverAuth: usage !== 'client',
      clientAuth: usage !== 'server',
    });
  }
  if (opts.sans && opts.sans.length > 0) {
    extensions.push({ name: 'subjectAltName', altNames: opts.sans.map(sanToForge) });
  }
  extensions.push(subjectKeyIdentifier(publicKey));
  if (opts.issuer) extensions.push(authorityKeyIdentifier(opts.issuer.keyObject));
  cert.setExtensions(extensions);

  const x509 = signCertificate(cert, publicKey, opts.issuer ? opts.issuer.keyObject : privateKey);
  return {
    cert: x509.toString(),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    x509,
    keyObject: privateKey,
    subjectFields,
  };
}
