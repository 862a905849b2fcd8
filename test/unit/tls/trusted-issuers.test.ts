import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrustedIssuers } from '../../../src/tls/trusted-issuers.js';
import { crossSigned, DAY, keys, make, type Made } from '../../helpers/ca-chain.js';

const raw = (...made: Made[]) => made.map((m) => m.x509.raw);

test('a certificate issued by a root of the truststore, or through an intermediate the truststore holds with its root', () => {
  const root = make({ cn: 'Fleet Root', keys: keys() });
  const intermediate = make({ cn: 'Fleet CA', keys: keys(), issuer: root });
  const direct = make({ cn: 'device-1', keys: keys(), issuer: root, ca: false });
  const below = make({ cn: 'device-2', keys: keys(), issuer: intermediate, ca: false });
  const trust = new TrustedIssuers([intermediate.x509, root.x509]);
  assert.deepEqual(trust.chainFor(direct.x509.raw), raw(root));
  assert.deepEqual(trust.chainFor(below.x509.raw), raw(intermediate, root));
  // Its validity now: the same chain is not given once a certificate of it has run out.
  assert.equal(trust.chainFor(below.x509.raw, Date.now() + 400 * DAY), undefined);
  // The intermediate the client sends, or one OpenSSL cannot end a chain at: for Node's linking.
  assert.equal(new TrustedIssuers([root.x509]).chainFor(below.x509.raw), undefined);
  assert.equal(new TrustedIssuers([intermediate.x509]).chainFor(below.x509.raw), undefined);
  // A self-signed client certificate, and bytes that are no certificate.
  assert.equal(trust.chainFor(root.x509.raw), undefined);
  assert.equal(trust.chainFor(Buffer.from('not a certificate')), undefined);
});

test('where the truststore leaves OpenSSL a choice, or its check could refuse the issuer, nothing is given', () => {
  const { k2, g1, g2, g2cross } = crossSigned();
  const g2expired = make({ cn: 'G2', keys: k2, validDays: [-20, -10] });
  const leaf = make({ cn: 'leaf', keys: keys(), issuer: g2, ca: false });
  assert.deepEqual(new TrustedIssuers([g2.x509, g1.x509]).chainFor(leaf.x509.raw), raw(g2));
  // G2's key in two certificates: OpenSSL prefers the one within its validity, and may go up through G1.
  assert.equal(new TrustedIssuers([g2expired.x509, g1.x509, g2cross.x509]).chainFor(leaf.x509.raw), undefined);
  assert.equal(new TrustedIssuers([g2cross.x509, g1.x509, g2.x509]).chainFor(leaf.x509.raw), undefined);
  // Another key under G2's name: never taken for the leaf's issuer.
  const impostor = make({ cn: 'G2', keys: keys() });
  assert.equal(new TrustedIssuers([impostor.x509]).chainFor(leaf.x509.raw), undefined);
  // The right key, but a subject key identifier that does not match the leaf's authority key identifier.
  const mismatched = make({ cn: 'G2', keys: k2, subjectKeyId: 'not the key id' });
  assert.equal(new TrustedIssuers([mismatched.x509]).chainFor(leaf.x509.raw), undefined);
  // keyUsage without keyCertSign.
  const noSign = make({ cn: 'G2', keys: k2, keyCertSign: false });
  assert.equal(new TrustedIssuers([noSign.x509]).chainFor(leaf.x509.raw), undefined);
});

test('a name OpenSSL matches in another encoding is left to Node, not taken for the end of the chain', () => {
  const root = make({ cn: 'R', keys: keys() });
  const intermediate = make({ cn: 'I', keys: keys(), issuer: root, issuerUtf8: true });
  const leaf = make({ cn: 'leaf', keys: keys(), issuer: intermediate, ca: false });
  assert.equal(new TrustedIssuers([intermediate.x509, root.x509]).chainFor(leaf.x509.raw), undefined);
});

test('a loop of cross-signed CAs is linked to nothing, at once', () => {
  const { k2, g1, g1cross, g2cross } = crossSigned();
  const leaf = make({ cn: 'leaf', keys: keys(), issuer: g2cross, ca: false });
  const trust = new TrustedIssuers([g1cross.x509, g2cross.x509, make({ cn: 'G2', keys: k2, issuer: g1 }).x509]);
  assert.equal(trust.chainFor(leaf.x509.raw), undefined);
  assert.equal(new TrustedIssuers([g1cross.x509, g2cross.x509]).chainFor(leaf.x509.raw), undefined);
});

test('loops: CAs of the truststore issued by each other are told apart from a cross-signature one way', () => {
  const { g1, g2, g1cross, g2cross } = crossSigned();
  assert.equal(new TrustedIssuers([g1.x509, g2.x509, g2cross.x509]).loops, false);
  assert.equal(new TrustedIssuers([g2cross.x509, g1cross.x509, g1.x509, g2.x509]).loops, true);
  assert.equal(new TrustedIssuers([g2cross.x509, g1cross.x509]).loops, true);
});

test('loops: the link certificates of a root key rollover (named as their own issuer, signed by the other key) are one', () => {
  const kOld = keys();
  const kNew = keys();
  const oldRoot = make({ cn: 'R', keys: kOld });
  const newRoot = make({ cn: 'R', keys: kNew });
  const newWithOld = make({ cn: 'R', keys: kNew, issuer: oldRoot });
  const oldWithNew = make({ cn: 'R', keys: kOld, issuer: newRoot });
  for (const order of [
    [newWithOld, oldWithNew, oldRoot, newRoot],
    [oldRoot, newRoot, oldWithNew, newWithOld],
  ]) {
    assert.equal(new TrustedIssuers(order.map((m) => m.x509)).loops, true);
  }
  // One link only: it leads to the old root, which ends the walk.
  assert.equal(new TrustedIssuers([oldRoot.x509, newRoot.x509, newWithOld.x509]).loops, false);
});
