import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import forge from 'node-forge';
import { signCertificate, signTbs } from '../../../src/devpki/issue.js';
import { CertificateCache } from '../../../src/tls/certificate-cache.js';
import { certificateParts, crlSignedBy, signedBy } from '../../../src/tls/certificate-der.js';
import { issue } from '../../helpers/pki.js';

const KEYS = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** A certificate laid out by forge with these fields, signed by KEYS (ecdsa-with-SHA256). */
function certificate(serialHex: string, notAfter: Date, cn: string): Buffer {
  const cert = forge.pki.createCertificate();
  cert.serialNumber = serialHex;
  cert.validity.notBefore = new Date(Date.UTC(1990, 0, 1));
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ shortName: 'CN', value: cn }]);
  cert.setIssuer([{ shortName: 'CN', value: 'Property CA' }]);
  return signCertificate(cert, KEYS.publicKey, KEYS.privateKey).raw;
}

/** A DER INTEGER's content for a positive number: no needless leading zero byte, one where the high bit is set. */
const positiveSerial = fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) => {
  let b = Buffer.from(bytes);
  while (b.length > 1 && b[0] === 0 && ((b[1] as number) & 0x80) === 0) b = b.subarray(1);
  if (((b[0] as number) & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return b.toString('hex');
});

test('property: what the cache reads from the DER is what OpenSSL reads (serial, notAfter in both time forms, fingerprint)', () => {
  fc.assert(
    fc.property(
      positiveSerial,
      // forge writes UTCTime before 2050 and GeneralizedTime from 2050 on, as RFC 5280 asks.
      fc.date({ min: new Date(Date.UTC(1950, 0, 1)), max: new Date(Date.UTC(2200, 11, 31, 23, 59, 59)), noInvalidDate: true }),
      fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /^[A-Za-z0-9]([A-Za-z0-9 .-]*[A-Za-z0-9])?$/.test(s)),
      (serial, notAfter, cn) => {
        const der = certificate(serial, new Date(Math.floor(notAfter.getTime() / 1000) * 1000), cn);
        const openssl = new X509Certificate(der);
        const known = new CertificateCache().lookup(der);
        assert.ok(known);
        assert.equal(known.serialNumber, openssl.serialNumber);
        assert.equal(known.validTo, new Date(Date.parse(openssl.validTo)).toISOString());
        assert.equal(known.fingerprint256, openssl.fingerprint256);
        assert.equal(known.subject, `CN=${cn}`);
        assert.ok(certificateParts(der), 'read without OpenSSL');
      },
    ),
    { numRuns: 150, seed: 20261204 },
  );
});

test('what the DER reader does not take is read by OpenSSL: a negative serial, a time with fractions of a second', () => {
  // 0x80 alone is a negative INTEGER, which RFC 5280 forbids and OpenSSL still reads.
  const negative = certificate('80', new Date(Date.UTC(2030, 5, 1)), 'negative');
  assert.equal(certificateParts(negative), undefined);
  const known = new CertificateCache().lookup(negative);
  assert.equal(known?.serialNumber, new X509Certificate(negative).serialNumber);
  assert.equal(known?.validTo, '2030-06-01T00:00:00.000Z');

  // GeneralizedTime with a fraction of a second, which RFC 5280 forbids and OpenSSL still reads.
  const asn1 = forge.asn1.fromDer(certificate('01', new Date(Date.UTC(2031, 0, 1)), 'fraction').toString('binary'));
  const tbs = (asn1.value as forge.asn1.Asn1[])[0]!;
  const validity = (tbs.value as forge.asn1.Asn1[])[4]!;
  (validity.value as forge.asn1.Asn1[])[1] = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.GENERALIZEDTIME, false, '20310101000000.5Z');
  const fraction = signTbs(tbs, KEYS.privateKey);
  assert.equal(certificateParts(fraction.raw), undefined);
  assert.equal(new CertificateCache().lookup(fraction.raw)?.validTo, new Date(Date.parse(fraction.validTo)).toISOString());
});

test('signedBy: true for the issuer, false for another key, undefined for an algorithm left to OpenSSL', () => {
  const root = issue({ subject: { CN: 'Root' }, isCA: true, keyType: 'ec' });
  const leaf = issue({ subject: { CN: 'leaf' }, issuer: root, usage: 'client', keyType: 'ec' });
  const other = issue({ subject: { CN: 'Root' }, isCA: true, keyType: 'ec' });
  const parts = certificateParts(leaf.x509.raw);
  assert.ok(parts);
  assert.equal(signedBy(parts, root.x509.publicKey), true);
  assert.equal(signedBy(parts, other.x509.publicKey), false);
  assert.equal(signedBy({ ...parts, signatureAlgorithm: '1.2.840.113549.1.1.5' }, root.x509.publicKey), undefined, 'sha1WithRSAEncryption');
  assert.equal(signedBy({ ...parts, signatureAlgorithm: '1.2.840.113549.1.1.10' }, root.x509.publicKey), undefined, 'RSA-PSS');
  // RSA, PKCS #1 v1.5 with SHA-256, as keytool signs.
  const rsaRoot = issue({ subject: { CN: 'RSA Root' }, isCA: true });
  const rsaLeaf = issue({ subject: { CN: 'rsa-leaf' }, issuer: rsaRoot, usage: 'client' });
  assert.equal(signedBy(certificateParts(rsaLeaf.x509.raw)!, rsaRoot.x509.publicKey), true);
  // An algorithm and a key that do not go together: no signature, whatever the bytes.
  assert.equal(signedBy(parts, rsaRoot.x509.publicKey), false);
});

test('a CRL signature is checked with SHA-2, SHA-1 and RSASSA-PSS; one claiming an algorithm it was not made with, or an unknown one, is no signature', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tbs = randomBytes(200);
  const sha256 = sign('sha256', tbs, rsa.privateKey);
  assert.equal(crlSignedBy({ tbs, signatureAlgorithm: '1.2.840.113549.1.1.11', signature: sha256 }, rsa.publicKey), true);
  assert.equal(crlSignedBy({ tbs, signatureAlgorithm: '1.2.840.113549.1.1.11', signature: sha256 }, other.publicKey), false);
  // The same signature, its algorithm changed to one the signature was not made with.
  assert.equal(crlSignedBy({ tbs, signatureAlgorithm: '1.2.840.113549.1.1.5', signature: sha256 }, rsa.publicKey), false);
  assert.equal(crlSignedBy({ tbs, signatureAlgorithm: '1.2.840.113549.1.1.5', signature: sign('sha1', tbs, rsa.privateKey) }, rsa.publicKey), true);
  assert.equal(crlSignedBy({ tbs, signatureAlgorithm: '1.2.840.10045.4.1', signature: sign('sha1', tbs, ec.privateKey) }, ec.publicKey), true);
  // RSASSA-PSS without parameters is SHA-1 with a 20-byte salt (RFC 4055).
  const pssSha1 = sign('sha1', tbs, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 });
  assert.equal(crlSignedBy({ tbs, signatureAlgorithm: '1.2.840.113549.1.1.10', signature: pssSha1 }, rsa.publicKey), true);
  assert.equal(crlSignedBy({ tbs, signatureAlgorithm: '1.2.840.113549.1.1.10', signature: pssSha1 }, other.publicKey), false);
  // With SHA-256 named in its parameters: SEQUENCE { [0] { SEQUENCE { OID sha256, NULL } }, [2] { INTEGER 32 } }.
  const { asn1 } = forge;
  const sha256Id = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer('2.16.840.1.101.3.4.2.1').getBytes()),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
  ]);
  const params = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [sha256Id]),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, String.fromCharCode(32))]),
  ]);
  const parameters = Buffer.from(asn1.toDer(params).getBytes(), 'binary');
  const pssSha256 = sign('sha256', tbs, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  assert.equal(crlSignedBy({ tbs, signatureAlgorithm: '1.2.840.113549.1.1.10', signature: pssSha256, parameters }, rsa.publicKey), true);
  assert.equal(crlSignedBy({ tbs, signatureAlgorithm: '1.2.840.113549.1.1.10', signature: pssSha256 }, rsa.publicKey), false, 'read as SHA-1 without the parameters');
  assert.equal(crlSignedBy({ tbs, signatureAlgorithm: '1.2.3.4', signature: sha256 }, rsa.publicKey), false);
});
