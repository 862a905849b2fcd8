/**
 * CA and client certificates with the names, keys and key identifiers a test chooses: what OpenSSL's issuer check
 * reads (cross-signed copies, renewed CAs, mismatched key identifiers). TEST FIXTURES ONLY: throwaway keys.
 */
import { createHash, generateKeyPairSync, type KeyObject, type X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { randomSerial, signCertificate } from '../../src/devpki/issue.js';

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
  return { cn: o.cn, keys: o.keys, x509: signCertificate(cert, o.keys.publicKey, (o.issuer ?? o).keys.privateKey) };
}


/** The private key of `made`, as PEM for a TLS client. */
export function keyPem(made: Made): string {
  return made.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
