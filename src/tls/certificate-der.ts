/**
 * The parts of a certificate's DER that the connection path reads, taken out without OpenSSL. Parsing a certificate
 * with Node's X509Certificate (or getPeerCertificate) costs about 0.3 ms on the machines measured, most of it OpenSSL
 * 3.0 decoding the public key, which these reads never need; a device's first connection paid it four to six times
 * (docs/PERFORMANCE.md). Anything unusual here gives undefined, and the caller asks OpenSSL as before.
 */
import { constants, verify, type KeyObject } from 'node:crypto';
import { decodeOid, readTlv, type Tlv } from '../keystore/der.js';

export interface CertificateParts {
  /** The signed part, as the signature covers it (its tag and length included). */
  readonly tbs: Buffer;
  /** The issuer's and the subject's Name, each its whole DER element: compared byte for byte. */
  readonly issuer: Buffer;
  readonly subject: Buffer;
  /** The serial number as OpenSSL prints it (BN_bn2hex): upper-case hex, two digits a byte, no leading zero bytes. */
  readonly serialNumber: string;
  /** notBefore and notAfter, in ms since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** The SubjectPublicKeyInfo, its whole DER element: two certificates of one key have the same. */
  readonly publicKey: Buffer;
  /**
   * What OpenSSL checks when it takes a certificate for another's issuer (X509_check_issued): the authority key
   * identifier's keyIdentifier (`complex` when it names the issuer by name and serial too), the subject key
   * identifier, and whether keyUsage allows signing certificates (undefined without a keyUsage extension).
   */
  readonly authorityKeyId: Buffer | 'complex' | undefined;
  readonly subjectKeyId: Buffer | undefined;
  readonly keyCertSign: boolean | undefined;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
}

const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_VERSION = 0xa0;

function element(buf: Buffer, offset: number, tag: number): Tlv {
  const tlv = readTlv(buf, offset, 'certificate', 'certificate');
  if (tlv.tag !== tag) throw new Error(`tag ${tlv.tag} where ${tag} was expected`);
  return tlv;
}

/** The certificate's parts; undefined when its DER is not laid out as RFC 5280 says. */
export function certificateParts(der: Buffer): CertificateParts | undefined {
  const signed = signedParts(der);
  if (signed === undefined) return undefined;
  try {
    // Offsets from here on are into the signed part alone.
    const tbs = signed.tbs;
    const content = element(tbs, 0, TAG_SEQUENCE);
    if (content.end !== tbs.length) return undefined;
    let at = tbs.length - content.value.length;
    if (tbs[at] === TAG_VERSION) at = element(tbs, at, TAG_VERSION).end;
    const serial = element(tbs, at, TAG_INTEGER);
    const innerAlgorithm = element(tbs, serial.end, TAG_SEQUENCE);
    const issuer = element(tbs, innerAlgorithm.end, TAG_SEQUENCE);
    const validity = element(tbs, issuer.end, TAG_SEQUENCE);
    const subject = element(tbs, validity.end, TAG_SEQUENCE);
    const notBeforeTlv = readTlv(tbs, validity.end - validity.value.length, 'certificate', 'certificate');
    const notBefore = time(notBeforeTlv);
    const notAfter = time(readTlv(tbs, notBeforeTlv.end, 'certificate', 'certificate'));
    const publicKey = element(tbs, subject.end, TAG_SEQUENCE);
    const extensions = readExtensions(tbs, publicKey.end, tbs.length);
    if (notBefore === undefined || notAfter === undefined || extensions === undefined) return undefined;
    const serialNumber = serialHex(serial.value);
    if (serialNumber === undefined) return undefined;
    return {
      tbs,
      issuer: tbs.subarray(innerAlgorithm.end, issuer.end),
      subject: tbs.subarray(validity.end, subject.end),
      serialNumber,
      notBefore,
      notAfter,
      publicKey: tbs.subarray(subject.end, publicKey.end),
      ...extensions,
      signatureAlgorithm: signed.signatureAlgorithm,
      signature: signed.signature,
    };
  } catch {
    return undefined;
  }
}

/**
 * Whether OpenSSL takes the certificate for its own issuer, as its verification does before it calls a chain
 * self-signed or a certificate a root (X509_self_signed): the names, and the key identifiers where both are given.
 * keyUsage is not read there.
 */
export function selfIssued(parts: CertificateParts): boolean {
  const { authorityKeyId: akid, subjectKeyId: skid } = parts;
  return parts.issuer.equals(parts.subject) && (akid === undefined || akid === 'complex' || skid === undefined || akid.equals(skid));
}

const OID_SUBJECT_KEY_ID = '2.5.29.14';
const OID_KEY_USAGE = '2.5.29.15';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const TAG_EXTENSIONS = 0xa3;
const TAG_OCTET_STRING = 0x04;
const TAG_KEY_ID = 0x80;

type KeyFields = Pick<CertificateParts, 'authorityKeyId' | 'subjectKeyId' | 'keyCertSign'>;

/** The extensions OpenSSL's issuer check reads, from after the public key to the end of the signed part. */
function readExtensions(der: Buffer, from: number, end: number): KeyFields | undefined {
  const fields: { -readonly [K in keyof KeyFields]: KeyFields[K] } = { authorityKeyId: undefined, subjectKeyId: undefined, keyCertSign: undefined };
  let at = from;
  // issuerUniqueID [1] and subjectUniqueID [2] (v2) come before the extensions.
  while (at < end && (der[at] === 0x81 || der[at] === 0x82 || der[at] === 0xa1 || der[at] === 0xa2)) at = readTlv(der, at, 'certificate', 'certificate').end;
  if (at === end) return fields;
  const wrapper = element(der, at, TAG_EXTENSIONS);
  if (wrapper.end !== end) return undefined;
  const list = element(der, wrapper.end - wrapper.value.length, TAG_SEQUENCE);
  for (let pos = list.end - list.value.length; pos < list.end; ) {
    const extension = element(der, pos, TAG_SEQUENCE);
    pos = extension.end;
    const oid = readTlv(der, extension.end - extension.value.length, 'certificate', 'certificate');
    let next = oid.end;
    if (der[next] === 0x01) next = readTlv(der, next, 'certificate', 'certificate').end; // critical
    const value = element(der, next, TAG_OCTET_STRING);
    const content = Buffer.from(value.value.buffer, value.value.byteOffset, value.value.length);
    switch (decodeOid(oid.value)) {
      case OID_SUBJECT_KEY_ID:
        fields.subjectKeyId = Buffer.from(element(content, 0, TAG_OCTET_STRING).value);
        break;
      case OID_AUTHORITY_KEY_ID: {
        const seq = element(content, 0, TAG_SEQUENCE);
        if (seq.value.length === 0) break;
        const first = readTlv(content, seq.end - seq.value.length, 'certificate', 'certificate');
        // The key identifier alone is what is compared here; an issuer name and serial as well is left to OpenSSL.
        fields.authorityKeyId = first.tag === TAG_KEY_ID && first.end === seq.end ? Buffer.from(first.value) : 'complex';
        break;
      }
      case OID_KEY_USAGE: {
        const bits = element(content, 0, TAG_BIT_STRING).value;
        // keyCertSign is bit 5: the first content byte (after the unused-bits count) holds bits 0–7, most significant first.
        fields.keyCertSign = bits.length > 1 && ((bits[1] as number) & 0x04) !== 0;
        break;
      }
    }
  }
  return fields;
}

/** A non-negative serial as BN_bn2hex prints it; undefined for a negative one (RFC 5280 forbids them), left to OpenSSL. */
function serialHex(value: Uint8Array): string | undefined {
  if (value.length === 0 || (value[0] as number) & 0x80) return undefined;
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  if (start === value.length) return '0';
  return Buffer.from(value.buffer, value.byteOffset + start, value.length - start)
    .toString('hex')
    .toUpperCase();
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** RFC 5280's two forms of a certificate's time (UTC, whole seconds, as 4.1.2.5 requires), in ms since the epoch. */
function time(tlv: Tlv): number | undefined {
  const text = Buffer.from(tlv.value.buffer, tlv.value.byteOffset, tlv.value.length).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === TAG_UTC_TIME && (m = UTC_TIME.exec(text)) !== null) {
    const yy = Number(m[1]);
    // RFC 5280 4.1.2.5.1: 50–99 are 19xx, 00–49 are 20xx.
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tlv.tag === TAG_GENERALIZED_TIME && (m = GENERALIZED_TIME.exec(text)) !== null) {
    year = Number(m[1]);
  } else {
    return undefined;
  }
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls an impossible date over (13th month, 31 February): such a time is left to OpenSSL.
  const check = new Date(ms);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  // Date.UTC reads years 0–99 as 1900–1999.
  if (year < 100) return undefined;
  return ms;
}

/**
 * The digest each signature algorithm a certificate is commonly signed with uses (null: the key's own, EdDSA), and
 * the type of key it is made with.
 */
const ALGORITHMS: ReadonlyMap<string, { readonly digest: string | null; readonly key: string }> = new Map([
  ['1.2.840.10045.4.3.2', { digest: 'sha256', key: 'ec' }], // ecdsa-with-SHA256
  ['1.2.840.10045.4.3.3', { digest: 'sha384', key: 'ec' }],
  ['1.2.840.10045.4.3.4', { digest: 'sha512', key: 'ec' }],
  ['1.2.840.113549.1.1.11', { digest: 'sha256', key: 'rsa' }], // sha256WithRSAEncryption (PKCS #1 v1.5)
  ['1.2.840.113549.1.1.12', { digest: 'sha384', key: 'rsa' }],
  ['1.2.840.113549.1.1.13', { digest: 'sha512', key: 'rsa' }],
  ['1.3.101.112', { digest: null, key: 'ed25519' }],
  ['1.3.101.113', { digest: null, key: 'ed448' }],
]);

/** What a signature covers and is: a certificate's, or a CRL's (both are RFC 5280's SIGNED{...}). */
export interface Signed {
  readonly tbs: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
  /** The algorithm's parameters, their whole DER element (RSASSA-PSS has some); undefined when absent. */
  readonly parameters?: Buffer | undefined;
}

/**
 * The signed part, algorithm and signature of a DER SIGNED{...} structure (a certificate, a CRL); undefined when it is
 * not laid out as one.
 */
export function signedParts(der: Buffer): Signed | undefined {
  try {
    const outer = element(der, 0, TAG_SEQUENCE);
    if (outer.end !== der.length) return undefined;
    const tbsStart = outer.end - outer.value.length;
    const tbs = element(der, tbsStart, TAG_SEQUENCE);
    const algorithm = element(der, tbs.end, TAG_SEQUENCE);
    const oid = readTlv(der, algorithm.end - algorithm.value.length, 'certificate', 'certificate');
    const parameters = oid.end < algorithm.end ? der.subarray(oid.end, readTlv(der, oid.end, 'certificate', 'certificate').end) : undefined;
    const signature = element(der, algorithm.end, TAG_BIT_STRING);
    // A signature is whole bytes: its BIT STRING says 0 unused bits.
    if (signature.end !== der.length || signature.value[0] !== 0 || oid.tag !== 0x06) return undefined;
    return {
      tbs: der.subarray(tbsStart, tbs.end),
      signatureAlgorithm: decodeOid(oid.value),
      signature: Buffer.from(signature.value.buffer, signature.value.byteOffset + 1, signature.value.length - 1),
      parameters,
    };
  } catch {
    return undefined;
  }
}

/**
 * Whether `issuerKey` signed the certificate (or CRL). Undefined for a signature algorithm not in the list above
 * (RSA-PSS, SHA-1), which the caller leaves to OpenSSL.
 */
export function signedBy(signed: Signed, issuerKey: KeyObject): boolean | undefined {
  const algorithm = ALGORITHMS.get(signed.signatureAlgorithm);
  if (algorithm === undefined) return undefined;
  if (issuerKey.asymmetricKeyType !== algorithm.key) return false;
  try {
    return verify(algorithm.digest, signed.tbs, issuerKey, signed.signature);
  } catch {
    return false;
  }
}

/** SHA-1 signatures, which CAs still make CRLs with: OpenSSL checks a CRL's whatever its digest. */
const SHA1_ALGORITHMS: ReadonlyMap<string, { readonly digest: string; readonly key: string }> = new Map([
  ['1.2.840.113549.1.1.5', { digest: 'sha1', key: 'rsa' }], // sha1WithRSAEncryption
  ['1.2.840.10045.4.1', { digest: 'sha1', key: 'ec' }], // ecdsa-with-SHA1
]);
const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const PSS_DIGESTS: ReadonlyMap<string, string> = new Map([
  ['1.3.14.3.2.26', 'sha1'],
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
]);

/** The digest RSASSA-PSS parameters name (RFC 4055: `[0]` hashAlgorithm, SHA-1 when absent); undefined if unreadable. */
function pssDigest(parameters: Buffer | undefined): string | undefined {
  if (parameters === undefined) return 'sha1';
  try {
    const params = element(parameters, 0, TAG_SEQUENCE);
    if (params.value.length === 0 || params.value[0] !== 0xa0) return 'sha1';
    const explicit = readTlv(params.value, 0, 'certificate', 'certificate');
    const algorithm = readTlv(explicit.value, 0, 'certificate', 'certificate');
    const oid = readTlv(algorithm.value, 0, 'certificate', 'certificate');
    return oid.tag === 0x06 ? PSS_DIGESTS.get(decodeOid(oid.value)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `issuerKey` signed a CRL: signedBy's algorithms, and SHA-1 and RSASSA-PSS too (its salt length read from
 * the signature). False for anything else: a signature this cannot check is taken as no signature of the issuer's.
 */
export function crlSignedBy(signed: Signed, issuerKey: KeyObject): boolean {
  const known = signedBy(signed, issuerKey);
  if (known !== undefined) return known;
  try {
    const sha1 = SHA1_ALGORITHMS.get(signed.signatureAlgorithm);
    if (sha1 !== undefined) return issuerKey.asymmetricKeyType === sha1.key && verify(sha1.digest, signed.tbs, issuerKey, signed.signature);
    if (signed.signatureAlgorithm !== OID_RSASSA_PSS) return false;
    const digest = pssDigest(signed.parameters);
    const type = issuerKey.asymmetricKeyType;
    if (digest === undefined || (type !== 'rsa' && type !== 'rsa-pss')) return false;
    return verify(digest, signed.tbs, { key: issuerKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signed.signature);
  } catch {
    return false;
  }
}
