/**
 * CA and client certificates with the names, keys and key identifiers a test chooses: what OpenSSL's issuer check
 * reads (cross-signed copies, renewed CAs, mismatched key identifiers). TEST FIXTURES ONLY: throwaway keys.
 */
import { createHash, generateKeyPairSync, type KeyObject, type X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { randomSerial, signCertificate, signTbs } from '../../src/devpki/issue.js';

export const DAY = 86_400_000;

export interface Made {
  readonly cn: string;
  readonly keys: { publicKey: KeyObject; privateKey: KeyObject };
  readonly x509: X509Certificate;
}

export function keys(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function keyId(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest().toString('binary');
}

export interface MakeOptions {
  readonly cn: string;
  readonly keys: { publicKey: KeyObject; privateKey: KeyObject };
  /** Self-issued when absent. */
  readonly issuer?: Made;
  readonly ca?: boolean;
  readonly validDays?: readonly [number, number];
  /** The issuer's name as a UTF8String rather than forge's default, PrintableString. */
  readonly issuerUtf8?: boolean;
  readonly subjectKeyId?: string;
  readonly keyCertSign?: boolean;
  /** Hex, as DER's INTEGER holds it: a first byte of 80 or more makes it negative (RFC 5280 forbids; OpenSSL reads it). */
  readonly serialNumber?: string;
  /** Without subject and authority key identifiers: the name alone says who the issuer is. */
  readonly keyIds?: false;
  /** The subject's and the issuer's Name as DER, written as given (any string type, order or grouping of RDNs). */
  readonly subjectName?: Buffer;
  readonly issuerName?: Buffer;
}

/** A certificate with the names, keys and key identifiers given: what OpenSSL's issuer check reads. TEST FIXTURES ONLY. */
export function make(o: MakeOptions): Made {
  const cert = forge.pki.createCertificate();
  cert.serialNumber = o.serialNumber ?? randomSerial();
  const [from, to] = o.validDays ?? [-1, 365];
  cert.validity.notBefore = new Date(Date.now() + from * DAY);
  cert.validity.notAfter = new Date(Date.now() + to * DAY);
  cert.setSubject([{ shortName: 'CN', value: o.cn }]);
  const issuerCn = o.issuer?.cn ?? o.cn;
  cert.setIssuer([o.issuerUtf8 ? { shortName: 'CN', value: issuerCn, valueTagClass: forge.asn1.Type.UTF8 } : { shortName: 'CN', value: issuerCn }] as forge.pki.CertificateField[]);
  const ca = o.ca ?? true;
  const extensions: object[] = [{ name: 'basicConstraints', cA: ca, critical: true }];
  extensions.push(ca ? { name: 'keyUsage', keyCertSign: o.keyCertSign ?? true, cRLSign: true, digitalSignature: true, critical: true } : { name: 'keyUsage', digitalSignature: true, critical: true });
  if (o.keyIds !== false) extensions.push({ name: 'subjectKeyIdentifier', value: forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, o.subjectKeyId ?? keyId(o.keys.publicKey)) });
  if (o.issuer && o.keyIds !== false) {
    const id = forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, 0, false, keyId(o.issuer.keys.publicKey));
    extensions.push({ name: 'authorityKeyIdentifier', value: forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [id]) });
  }
  cert.setExtensions(extensions);
  const signer = (o.issuer ?? o).keys.privateKey;
  if (o.subjectName === undefined && o.issuerName === undefined) return { cn: o.cn, keys: o.keys, x509: signCertificate(cert, o.keys.publicKey, signer) };
  // forge writes names only as it would encode them: the TBSCertificate's issuer [3] and subject [5] are replaced.
  // forge lays a certificate out for RSA only: placeholders that signTbs and the key below replace.
  cert.publicKey = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3'));
  cert.siginfo.algorithmOid = forge.pki.oids['sha256WithRSAEncryption'] as string;
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  const asn1 = (der: Buffer) => forge.asn1.fromDer(der.toString('binary'), { decodeBitStrings: false } as never);
  fields[6] = asn1(o.keys.publicKey.export({ type: 'spki', format: 'der' }));
  if (o.issuerName !== undefined) fields[3] = asn1(o.issuerName);
  if (o.subjectName !== undefined) fields[5] = asn1(o.subjectName);
  return { cn: o.cn, keys: o.keys, x509: signTbs(tbs, signer) };
}


/**
 * Two roots, G1 and G2, and each one's key certified by the other as well (`cross` shapes those two certificates).
 * TEST FIXTURES ONLY.
 */
export function crossSigned(cross: Partial<MakeOptions> = {}) {
  const k1 = keys();
  const k2 = keys();
  const g1 = make({ cn: 'G1', keys: k1 });
  const g2 = make({ cn: 'G2', keys: k2 });
  return { k1, k2, g1, g2, g1cross: make({ cn: 'G1', keys: k1, issuer: g2, ...cross }), g2cross: make({ cn: 'G2', keys: k2, issuer: g1, ...cross }) };
}

/** DER of an X.501 Name written as given: each RDN a list of [OID, value, tag] (0x13 PrintableString, 0x0c UTF8String; 0x2c, BER's constructed UTF8String, holds the value as one piece). */
export function nameDer(rdns: readonly (readonly (readonly [string, string, number?])[])[]): Buffer {
  const value = (text: string, tag = 0x13): Buffer => (tag === 0x2c ? rawTlv(0x2c, rawTlv(0x04, Buffer.from(text, 'utf8'))) : rawTlv(tag, Buffer.from(text, 'utf8')));
  const oid = (dotted: string): Buffer => Buffer.from(forge.asn1.oidToDer(dotted).getBytes(), 'binary');
  return rawTlv(0x30, Buffer.concat(rdns.map((rdn) => rawTlv(0x31, Buffer.concat(rdn.map(([type, text, tag]) => rawTlv(0x30, Buffer.concat([rawTlv(0x06, oid(type)), value(text, tag)]))))))));
}

function rawTlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

/** The private key of `made`, as PEM for a TLS client. */
export function keyPem(made: Made): string {
  return made.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
