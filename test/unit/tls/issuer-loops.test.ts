import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { hasIssuerLoop } from '../../../src/tls/issuer-loops.js';
import { certificateParts } from '../../../src/tls/certificate-der.js';
import { crossSigned, keys, make, nameDer } from '../../helpers/ca-chain.js';

test('cross-certificates without keyCertSign loop too: OpenSSL looks an issuer up without reading keyUsage', () => {
  const { g1, g2, g1cross, g2cross } = crossSigned({ keyCertSign: false });
  assert.equal(hasIssuerLoop([g1cross.x509, g2cross.x509]), true);
  assert.equal(hasIssuerLoop([g2cross.x509, g1cross.x509, g1.x509, g2.x509]), true);
  // One way only: the walk ends at G1's root.
  assert.equal(hasIssuerLoop([g1.x509, g2cross.x509]), false);
});

test('an issuer name in another string type, or case, is the same name to OpenSSL and to the loop check', () => {
  const k1 = keys();
  const k2 = keys();
  const g1 = make({ cn: 'G1', keys: k1 });
  const g2 = make({ cn: 'g2', keys: k2 });
  // G2's issuer name as a UTF8String, G1's as a PrintableString, and `G2` written in upper case below.
  const g1cross = make({ cn: 'G1', keys: k1, issuer: { ...g2, cn: 'G2' } });
  const g2cross = make({ cn: 'g2', keys: k2, issuer: g1, issuerUtf8: true });
  assert.equal(hasIssuerLoop([g1cross.x509, g2cross.x509]), true);
  // A different name is no issuer.
  const g1other = make({ cn: 'G1', keys: k1, issuer: { ...g2, cn: 'G3' } });
  assert.equal(hasIssuerLoop([g1other.x509, g2cross.x509]), false);
});

test('certificates the DER reader of the connection path leaves to OpenSSL (a negative serial number) are still walked', () => {
  const { g1cross, g2cross } = crossSigned({ serialNumber: 'c0ffee' });
  assert.equal(certificateParts(g1cross.x509.raw), undefined);
  assert.equal(hasIssuerLoop([g1cross.x509, g2cross.x509]), true);
});

const CN = '2.5.4.3';
const O = '2.5.4.10';

test('names OpenSSL takes for the same: a multi-valued RDN in another order, an empty RDN, spacing, a value in BER form', () => {
  const k1 = keys();
  const k2 = keys();
  const subject = nameDer([[[CN, 'G2'], [O, 'Acme']]]);
  const g1 = make({ cn: 'G1', keys: k1 });
  const g2 = make({ cn: 'G2', keys: k2, subjectName: subject });
  const g2cross = make({ cn: 'G2', keys: k2, issuer: g1, subjectName: subject });
  const looped = (issuerName: Buffer) => hasIssuerLoop([make({ cn: 'G1', keys: k1, issuer: g2, issuerName }).x509, g2cross.x509]);
  assert.equal(looped(subject), true);
  assert.equal(looped(nameDer([[[O, 'Acme'], [CN, 'G2']]])), true);
  assert.equal(looped(nameDer([[], [[CN, 'G2'], [O, 'Acme']]])), true);
  assert.equal(looped(nameDer([[[CN, '  g2 '], [O, 'ACME']]])), true);
  // Its value not read as text: the name may be any.
  assert.equal(looped(nameDer([[[CN, 'G2', 0x2c], [O, 'Acme']]])), true);
  // Another name is no issuer.
  assert.equal(looped(nameDer([[[CN, 'G3'], [O, 'Acme']]])), false);
});

test('an empty value is a value like any other, not a name that may be any', () => {
  const OU = '2.5.4.11';
  const root = make({ cn: 'R', keys: keys(), keyIds: false });
  const sibling = (cn: string) => make({ cn, keys: keys(), issuer: root, keyIds: false, subjectName: nameDer([[[CN, cn]], [[OU, '']]]) });
  assert.equal(hasIssuerLoop([root.x509, sibling('I1').x509, sibling('I2').x509]), false);
});

test('key identifiers that differ rule a certificate out, as they do for OpenSSL', () => {
  const { k1, g2, g2cross } = crossSigned();
  // Named as issued by G2, with the key identifier of another key.
  const g1cross = make({ cn: 'G1', keys: k1, issuer: { ...g2, keys: keys() } });
  assert.equal(hasIssuerLoop([g1cross.x509, g2cross.x509]), false);
});

test('truststores as they usually are: no loop', () => {
  const kRoot = keys();
  const root = make({ cn: 'Root', keys: kRoot });
  const devices = make({ cn: 'Devices CA', keys: keys(), issuer: root });
  const people = make({ cn: 'People CA', keys: keys(), issuer: root });
  assert.equal(hasIssuerLoop([root.x509, devices.x509, people.x509]), false);
  // The root renewed under its name with a new key, its CAs issued again under it, the old ones kept.
  const renewed = make({ cn: 'Root', keys: keys() });
  const devices2 = make({ cn: 'Devices CA', keys: keys(), issuer: renewed });
  assert.equal(hasIssuerLoop([root.x509, renewed.x509, devices.x509, devices2.x509, people.x509]), false);
});

test('without key identifiers the names decide, and a certificate given twice is one certificate', () => {
  const { g1cross, g2cross } = crossSigned({ keyIds: false });
  assert.equal(hasIssuerLoop([g1cross.x509, g2cross.x509]), true);
  // Named as its own issuer, without key identifiers and without keyCertSign: OpenSSL does not take it for its own
  // issuer (keyUsage), so the walk goes on, but the only certificate of that name its lookup finds is itself, which
  // ends Node's walk, however many times the truststore lists it.
  const link = make({ cn: 'R', keys: keys(), issuer: make({ cn: 'R', keys: keys() }), keyIds: false, keyCertSign: false });
  assert.equal(link.x509.checkIssued(link.x509), false);
  assert.equal(hasIssuerLoop([link.x509, link.x509]), false);
  assert.equal(hasIssuerLoop([]), false);
});

test('a certificate whose names cannot be read here may lead to any other, and follow from any', () => {
  const { g1, g2cross } = crossSigned();
  // OpenSSL read it (it is in the truststore), this reader cannot: what it names is unknown.
  const unreadable = { raw: Buffer.from('3082ffff', 'hex'), checkIssued: () => false } as unknown as X509Certificate;
  assert.equal(hasIssuerLoop([g2cross.x509, unreadable]), true);
  // Alone, or beside certificates that end the walk, it has nowhere to go round.
  assert.equal(hasIssuerLoop([unreadable]), false);
  assert.equal(hasIssuerLoop([g1.x509, unreadable]), false);
});
