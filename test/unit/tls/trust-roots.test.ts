import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unrootedWarnings } from '../../../src/tls/trust-roots.js';
import { crossSigned, keys, make, nameDer, type Made } from '../../helpers/ca-chain.js';
import { trustStore as storeOf } from '../../helpers/tls.js';

/** A truststore of certificates only (the helper's key beside each is never used). */
const trustStore = (...made: Made[]) => storeOf(...made.map((m) => ({ x509: m.x509, keyObject: m.keys.privateKey })));

const root = make({ cn: 'Root', keys: keys() });
const devices = make({ cn: 'Devices CA', keys: keys(), issuer: root });
const device = make({ cn: 'device-1', keys: keys(), issuer: devices, ca: false });

test('a CA imported without its root is warned about: OpenSSL refuses every certificate it issues', () => {
  assert.deepEqual(unrootedWarnings('trust.pem', trustStore(devices)), [
    'truststore "trust.pem" certificate "trusted-0" (CN=Devices CA) is a CA whose root is not in the truststore: OpenSSL verifies a chain only up to a root it trusts, so every certificate it issues is refused (UNABLE_TO_GET_ISSUER_CERT); import the root CA certificate too',
  ]);
  assert.deepEqual(unrootedWarnings('trust.pem', trustStore(devices, root)), []);
});

test("a client's own CA-issued certificate, imported to trust that client, is warned about; a self-signed one is not", () => {
  assert.deepEqual(unrootedWarnings('trust.pem', trustStore(device)), [
    'truststore "trust.pem" certificate "trusted-0" (CN=device-1) is neither a CA nor self-signed: no certificate can be verified through it, not even itself (UNABLE_TO_VERIFY_LEAF_SIGNATURE); import the CA that issued it (and its root) instead',
  ]);
  // With its CAs it is rooted, and harmless.
  assert.deepEqual(unrootedWarnings('trust.pem', trustStore(device, devices, root)), []);
  // A self-signed client certificate is pinned by importing it.
  assert.deepEqual(unrootedWarnings('trust.pem', trustStore(make({ cn: 'device-2', keys: keys(), ca: false }))), []);
});

test('cross-signed CAs are rooted through either root, and a loop without roots is warned about', () => {
  const { g1, g2, g1cross, g2cross } = crossSigned();
  assert.deepEqual(unrootedWarnings('t', trustStore(g1cross, g2cross, g1)), []);
  assert.deepEqual(unrootedWarnings('t', trustStore(g2cross, g1cross, g2)), []);
  assert.equal(unrootedWarnings('t', trustStore(g1cross, g2cross)).length, 2);
});

test('an issuer named as OpenSSL matches names (another case, string type or order) is found', () => {
  const CN = '2.5.4.3';
  const O = '2.5.4.10';
  const kRoot = keys();
  const acme = make({ cn: 'Acme Root', keys: kRoot, subjectName: nameDer([[[CN, 'Acme Root'], [O, 'Acme']]]), issuerName: nameDer([[[CN, 'Acme Root'], [O, 'Acme']]]) });
  const below = make({ cn: 'Devices CA', keys: keys(), issuer: acme, issuerName: nameDer([[[O, 'ACME', 0x0c], [CN, 'acme  root', 0x0c]]]) });
  assert.equal(below.x509.checkIssued(acme.x509), true);
  assert.deepEqual(unrootedWarnings('t', trustStore(acme, below)), []);
});

test("a root's copy cross-signed by a CA the truststore lacks is warned about, whichever comes first", () => {
  const kRoot = keys();
  const rootCa = make({ cn: 'Root', keys: kRoot });
  const copy = make({ cn: 'Root', keys: kRoot, issuer: make({ cn: 'Old Root', keys: keys() }) });
  const warning = 'truststore "t" certificate "trusted-1" (CN=Root) is a copy of the CA "trusted-0" issued by a CA that is not in the truststore: OpenSSL may take it for the issuer of that CA\'s certificates, and then refuse them (UNABLE_TO_GET_ISSUER_CERT); remove it';
  assert.deepEqual(unrootedWarnings('t', trustStore(rootCa, copy)), [warning]);
  assert.deepEqual(unrootedWarnings('t', trustStore(copy, rootCa)), [warning.replace('"trusted-1"', '"trusted-0"').replace('CA "trusted-0"', 'CA "trusted-1"')]);
});
