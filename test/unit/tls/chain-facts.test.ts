import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainFacts, chainFactsFailure, judgeChainFacts } from '../../../src/tls/chain-facts.js';
import { trustState } from '../../../src/tls/resumed.js';
import { makeCrl, revocationsOf, type TestCrl } from '../../helpers/crl.js';
import { issue, testPki } from '../../helpers/pki.js';

function chainOf() {
  const { ca, otherCa } = testPki();
  const intermediate = issue({ subject: { CN: 'Facts Intermediate', O: 'Acme' }, isCA: true, issuer: ca, notAfterDays: 30 });
  const device = issue({ subject: { CN: 'facts-device', O: 'Acme' }, issuer: intermediate, usage: 'client', notAfterDays: 300 });
  const facts = chainFacts(device.x509.raw, [intermediate.x509.raw, ca.x509.raw]);
  assert.ok(facts !== undefined);
  return { ca, otherCa, intermediate, device, facts };
}

test('the facts of a chain: its root, when the first of it ends, and each lower certificate by serial and issuer', () => {
  const { ca, intermediate, device, facts } = chainOf();
  assert.equal(facts.root, ca.x509.fingerprint256);
  assert.equal(facts.end, Date.parse(intermediate.x509.validTo), 'the intermediate ends first');
  assert.deepEqual(
    facts.links.map((l) => l.serial),
    [device.x509.serialNumber, intermediate.x509.serialNumber].map((s) => s.replace(/^0+(?=.)/, '')),
  );
  assert.equal(facts.links.length, 2, 'the root itself is no link: nothing above it issues a CRL for it');
  assert.notEqual(facts.links[0]?.issuer, facts.links[1]?.issuer, 'each link names its own issuer');
  assert.match(facts.links[0]?.keyId ?? '', /^[0-9a-f]{40}$/, "the intermediate's key identifier");
  const self = chainFacts(ca.x509.raw, []);
  assert.deepEqual(self && [self.root, self.links.length], [ca.x509.fingerprint256, 0]);
  assert.equal(chainFacts(Buffer.from('not a certificate'), []), undefined);
});

test('honoured while a truststore holds its root; without CRLs nothing else is asked', () => {
  const { ca, otherCa, facts } = chainOf();
  assert.equal(judgeChainFacts(facts, [trustState([ca.x509], undefined)]), undefined);
  assert.equal(judgeChainFacts(facts, [trustState([otherCa.x509], undefined)]), 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'its root left the truststore');
  assert.equal(judgeChainFacts(facts, []), 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'no listener verifies clients');
  assert.equal(judgeChainFacts(facts, [trustState([ca.x509], undefined)], facts.end + 1), 'CERT_HAS_EXPIRED');
});

test('with CRLs, every certificate below the root is looked up on its issuer\'s CRL', () => {
  const { ca, intermediate, device, facts } = chainOf();
  const judge = (...crls: TestCrl[]) => judgeChainFacts(facts, [trustState([ca.x509], revocationsOf(...crls))]);
  assert.equal(judge(makeCrl(ca), makeCrl(intermediate)), undefined);
  assert.equal(judge(makeCrl(ca)), 'UNABLE_TO_GET_CRL', "the intermediate's CRL is missing");
  assert.equal(judge(makeCrl(ca), makeCrl(intermediate, { revoked: [{ serial: device.x509.serialNumber }] })), 'CERT_REVOKED');
  assert.equal(judge(makeCrl(ca, { revoked: [{ serial: intermediate.x509.serialNumber }] }), makeCrl(intermediate)), 'CERT_REVOKED', 'its CA revoked');
  // The root's CRL is known by the root's key: one that only takes its name is not its CRL.
  const impostor = issue({ subject: { CN: 'Test Root CA', O: 'Acme' }, isCA: true, notAfterDays: 30 });
  assert.equal(judge(makeCrl(impostor, { authorityKeyId: false }), makeCrl(intermediate)), 'CRL_SIGNATURE_FAILURE');
  assert.equal(judge(makeCrl(impostor), makeCrl(intermediate)), 'UNABLE_TO_GET_CRL', 'its key identifier names another key: OpenSSL passes over it');
});

test("a lower CA is known by its name and key identifier: another CA's CRL of the same name neither revokes nor vouches for it", () => {
  const { ca, intermediate, device, facts } = chainOf();
  const impostor = issue({ subject: { CN: 'Facts Intermediate', O: 'Acme' }, isCA: true, notAfterDays: 30 });
  const judge = (...crls: TestCrl[]) => judgeChainFacts(facts, [trustState([ca.x509], revocationsOf(...crls))]);
  assert.equal(judge(makeCrl(ca), makeCrl(impostor)), 'UNABLE_TO_GET_CRL', "the impostor's CRL is not the intermediate's");
  assert.equal(judge(makeCrl(ca), makeCrl(intermediate), makeCrl(impostor, { revoked: [{ serial: device.x509.serialNumber }] })), undefined);
  // A CRL without a key identifier is known by its name alone: taken for the intermediate's, for better or worse.
  assert.equal(judge(makeCrl(ca), makeCrl(impostor, { authorityKeyId: false })), undefined);
  assert.equal(judge(makeCrl(ca), makeCrl(intermediate), makeCrl(impostor, { authorityKeyId: false, revoked: [{ serial: device.x509.serialNumber }] })), 'CERT_REVOKED');
  assert.equal(judge(makeCrl(ca), makeCrl(intermediate, { authorityKeyId: false, revoked: [{ serial: device.x509.serialNumber }] })), 'CERT_REVOKED');
});

test("a revocation higher in the chain is found however the CRLs below it fare, on any listener", () => {
  const { ca, intermediate, facts } = chainOf();
  const DAY = 86_400_000;
  const stale = makeCrl(intermediate, { thisUpdate: new Date(Date.now() - 3 * DAY), nextUpdate: new Date(Date.now() - DAY) });
  const rootRevokes = makeCrl(ca, { revoked: [{ serial: intermediate.x509.serialNumber }] });
  const plain = trustState([ca.x509], undefined);
  assert.equal(judgeChainFacts(facts, [trustState([ca.x509], revocationsOf(rootRevokes, stale))]), 'CERT_REVOKED', "the intermediate's stale CRL does not hide its revocation");
  assert.equal(judgeChainFacts(facts, [trustState([ca.x509], revocationsOf(rootRevokes, stale)), plain]), 'CERT_REVOKED');
  assert.equal(judgeChainFacts(facts, [trustState([ca.x509], revocationsOf(rootRevokes)), plain]), 'CERT_REVOKED', 'nor does its missing one');
});

test("across listeners: one listener's CRL that revokes it refuses it everywhere; another's missing CRL does not, where one admits it", () => {
  const { ca, intermediate, device, facts } = chainOf();
  const plain = trustState([ca.x509], undefined);
  const revoking = trustState([ca.x509], revocationsOf(makeCrl(ca), makeCrl(intermediate, { revoked: [{ serial: device.x509.serialNumber }] })));
  const incomplete = trustState([ca.x509], revocationsOf(makeCrl(ca)));
  assert.equal(judgeChainFacts(facts, [plain, revoking]), 'CERT_REVOKED');
  assert.equal(judgeChainFacts(facts, [revoking, plain]), 'CERT_REVOKED');
  assert.equal(judgeChainFacts(facts, [incomplete, plain]), undefined);
  assert.equal(judgeChainFacts(facts, [incomplete]), 'UNABLE_TO_GET_CRL');
});

test('a refusal says what it means for the certificate', () => {
  assert.equal(chainFactsFailure('CERT_REVOKED'), 'CERT_REVOKED: it or a CA of its chain is listed on a CRL (ssl.crl)');
  assert.equal(chainFactsFailure('CRL_SIGNATURE_FAILURE'), 'CRL_SIGNATURE_FAILURE: CRL signature failure');
});
