/**
 * Certificate revocation lists made in code (RFC 5280 §5), signed with a test CA's key through node:crypto, so that
 * no test needs the openssl CLI. TEST FIXTURES ONLY.
 *
 * node-forge builds certificates but not CRLs, so the TBSCertList is assembled from its ASN.1 primitives here.
 */
import { sign, type KeyObject, type X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateParts } from '../../src/tls/certificate-der.js';
import { loadCrls, type Revocations } from '../../src/tls/crl.js';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;

export interface CrlIssuer {
  readonly x509: X509Certificate;
  readonly keyObject: KeyObject;
}

export interface RevokedEntry {
  /** Upper- or lower-case hex, as X509Certificate.serialNumber gives it. */
  readonly serial: string;
  readonly date?: Date;
}

export interface CrlOptions {
  readonly revoked?: readonly RevokedEntry[];
  /** Default: an hour ago. */
  readonly thisUpdate?: Date;
  /** Default: in 7 days; null leaves the field out (RFC 5280 allows it; OpenSSL then treats the CRL as never stale). */
  readonly nextUpdate?: Date | null;
  /** The cRLNumber extension; default 1. */
  readonly number?: number;
  /** Makes it a delta CRL (deltaCRLIndicator, critical) of the base CRL with this number. */
  readonly deltaOf?: number;
  /** Give the CRL an authority key identifier (the issuer's subjectKeyIdentifier), as CAs do; default true. */
  readonly authorityKeyId?: boolean;
}

export interface TestCrl {
  readonly der: Buffer;
  readonly pem: string;
}

const HOUR = 3_600_000;
const OID_SHA256_RSA = '1.2.840.113549.1.1.11';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_CRL_NUMBER = '2.5.29.20';
const OID_DELTA_CRL_INDICATOR = '2.5.29.27';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';

const seq = (...items: Asn1[]): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const oid = (dotted: string): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
const integerBytes = (bytes: Buffer): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, bytes.toString('binary'));

function positiveInteger(hex: string): Asn1 {
  let bytes = Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex');
  while (bytes.length > 1 && bytes[0] === 0 && ((bytes[1] as number) & 0x80) === 0) bytes = bytes.subarray(1);
  if (((bytes[0] as number) & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return integerBytes(bytes);
}

/** UTCTime through 2049, GeneralizedTime after, as RFC 5280 §5.1.2.4 requires. */
function time(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

/** The certificate's subject Name, as DER-decoded ASN.1 (copied byte for byte into the CRL's issuer). */
function subjectName(cert: X509Certificate): Asn1 {
  const root = asn1.fromDer(forge.util.createBuffer(cert.raw.toString('binary')));
  const tbs = (root.value as Asn1[])[0]?.value as Asn1[];
  const offset = tbs[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  return tbs[offset + 4] as Asn1;
}

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN X509 CRL-----\n${lines.join('\n')}\n-----END X509 CRL-----\n`;
}

/** A v2 CRL issued by `issuer`, listing `revoked`. */
export function makeCrl(issuer: CrlIssuer, options: CrlOptions = {}): TestCrl {
  const ec = issuer.keyObject.asymmetricKeyType === 'ec';
  const algorithm = ec ? seq(oid(OID_ECDSA_SHA256)) : seq(oid(OID_SHA256_RSA), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''));
  const now = Date.now();
  const fields: Asn1[] = [
    integerBytes(Buffer.from([1])), // v2: needed for the extensions below
    algorithm,
    subjectName(issuer.x509),
    time(options.thisUpdate ?? new Date(now - HOUR)),
  ];
  if (options.nextUpdate !== null) fields.push(time(options.nextUpdate ?? new Date(now + 7 * 24 * HOUR)));
  const revoked = options.revoked ?? [];
  if (revoked.length > 0) {
    fields.push(seq(...revoked.map((r) => seq(positiveInteger(r.serial), time(r.date ?? new Date(now - HOUR))))));
  }
  const octets = (value: Asn1): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(value).getBytes());
  const extensions = [seq(oid(OID_CRL_NUMBER), octets(positiveInteger((options.number ?? 1).toString(16))))];
  // As `openssl ca` writes it (authorityKeyIdentifier=keyid): which key of the CA of that name signed.
  const keyId = certificateParts(issuer.x509.raw)?.subjectKeyId;
  if (keyId !== undefined && options.authorityKeyId !== false) {
    extensions.push(seq(oid(OID_AUTHORITY_KEY_ID), octets(seq(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, keyId.toString('binary'))))));
  }
  if (options.deltaOf !== undefined) {
    const critical = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BOOLEAN, false, '\xff');
    extensions.push(seq(oid(OID_DELTA_CRL_INDICATOR), critical, octets(positiveInteger(options.deltaOf.toString(16)))));
  }
  fields.push(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [seq(...extensions)]));

  const tbs = Buffer.from(asn1.toDer(seq(...fields)).getBytes(), 'binary');
  const signature = sign('sha256', tbs, issuer.keyObject);
  const bitString = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00' + signature.toString('binary'));
  // The signed bytes go in verbatim: re-encoding them through an ASN.1 object could change what was signed.
  const rest = Buffer.concat([algorithm, bitString].map((n) => Buffer.from(asn1.toDer(n).getBytes(), 'binary')));
  const der = Buffer.concat([derHeader(0x30, tbs.length + rest.length), tbs, rest]);
  return { der, pem: toPem(der) };
}

function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

/** What the gateway reads of `list` as the files of one ssl.crl directory: each CRL's revocations. */
export function revocationsOf(...list: TestCrl[]): Revocations[] {
  const dir = mkdtempSync(join(tmpdir(), 'gw-crls-'));
  try {
    list.forEach((c, i) => writeFileSync(join(dir, `${i}.crl`), c.der));
    return [...loadCrls(dir).revocations];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
