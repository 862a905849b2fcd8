import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeChain, trustState, verdictUntil } from '../../../src/tls/resumed.js';
import { makeCrl, revocationsOf } from '../../helpers/crl.js';
import { issue, testPki } from '../../helpers/pki.js';

const DAY = 86_400_000;

test('a chain to a trusted CA, within its validity, verifies', () => {
  const { ca, client } = testPki();
  assert.equal(judgeChain([client.x509, ca.x509], trustState([ca.x509], undefined)), undefined);
});

test('a chain that reaches no certificate of the truststore is refused', () => {
  const { ca, client, otherCa } = testPki();
  assert.equal(judgeChain([client.x509, ca.x509], trustState([otherCa.x509], undefined)), 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  assert.equal(judgeChain([client.x509], trustState([otherCa.x509], undefined)), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
});

test('time is judged now: an expired or not yet valid certificate is refused', () => {
  const { ca, client, expiredClient } = testPki();
  const trust = trustState([ca.x509], undefined);
  assert.equal(judgeChain([expiredClient.x509, ca.x509], trust), 'CERT_HAS_EXPIRED');
  assert.equal(judgeChain([client.x509, ca.x509], trust, Date.parse(client.x509.validTo) + DAY), 'CERT_HAS_EXPIRED');
  assert.equal(judgeChain([client.x509, ca.x509], trust, Date.parse(client.x509.validFrom) - DAY), 'CERT_NOT_YET_VALID');
});

test('a link not signed by the next certificate is refused', () => {
  const { ca, untrustedClient } = testPki();
  assert.equal(judgeChain([untrustedClient.x509, ca.x509], trustState([ca.x509], undefined)), 'CERT_SIGNATURE_FAILURE');
});

test('with CRLs, every certificate below the anchor is looked up on its issuer\'s current CRL', () => {
  const { ca, client } = testPki();
  const intermediate = issue({ subject: { CN: 'Judge Intermediate', O: 'Acme' }, isCA: true, issuer: ca, notAfterDays: 30 });
  const device = issue({ subject: { CN: 'judged', O: 'Acme' }, issuer: intermediate, usage: 'client' });
  const chain = [device.x509, intermediate.x509, ca.x509];
  const anchors = [ca.x509];
  assert.equal(judgeChain(chain, trustState(anchors, revocationsOf(makeCrl(ca), makeCrl(intermediate)))), undefined);
  assert.equal(judgeChain(chain, trustState(anchors, revocationsOf(makeCrl(ca)))), 'UNABLE_TO_GET_CRL');
  assert.equal(
    judgeChain(chain, trustState(anchors, revocationsOf(makeCrl(ca, { revoked: [{ serial: intermediate.x509.serialNumber }] }), makeCrl(intermediate)))),
    'CERT_REVOKED',
  );
  assert.equal(judgeChain([client.x509, ca.x509], trustState(anchors, revocationsOf(makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }] })))), 'CERT_REVOKED');
  const stale = makeCrl(ca, { thisUpdate: new Date(Date.now() - 3 * DAY), nextUpdate: new Date(Date.now() - DAY) });
  assert.equal(judgeChain([client.x509, ca.x509], trustState(anchors, revocationsOf(stale))), 'CRL_HAS_EXPIRED');
  const early = makeCrl(ca, { thisUpdate: new Date(Date.now() + DAY), nextUpdate: new Date(Date.now() + 3 * DAY) });
  assert.equal(judgeChain([client.x509, ca.x509], trustState(anchors, revocationsOf(early))), 'CRL_NOT_YET_VALID');
});

test("a CRL that only names the issuer (another key's) revokes nothing: the issuer's own CRL decides, and without one the chain is refused", () => {
  const { ca } = testPki();
  const intermediate = issue({ subject: { CN: 'Named Intermediate', O: 'Acme' }, isCA: true, issuer: ca, notAfterDays: 30 });
  const impostor = issue({ subject: { CN: 'Named Intermediate', O: 'Acme' }, isCA: true, notAfterDays: 30 });
  const device = issue({ subject: { CN: 'named', O: 'Acme' }, issuer: intermediate, usage: 'client' });
  const chain = [device.x509, intermediate.x509, ca.x509];
  const anchors = [ca.x509];
  // With an authority key identifier naming another key, OpenSSL passes over it as if it were not there; without one,
  // it is the signature that tells.
  for (const [authorityKeyId, alone] of [[true, 'UNABLE_TO_GET_CRL'], [false, 'CRL_SIGNATURE_FAILURE']] as const) {
    const forged = makeCrl(impostor, { revoked: [{ serial: device.x509.serialNumber }], number: 9, authorityKeyId });
    assert.equal(judgeChain(chain, trustState(anchors, revocationsOf(makeCrl(ca), makeCrl(intermediate), forged))), undefined);
    assert.equal(judgeChain(chain, trustState(anchors, revocationsOf(makeCrl(ca), forged))), alone, `authority key identifier: ${authorityKeyId}`);
    const revoking = makeCrl(intermediate, { revoked: [{ serial: device.x509.serialNumber }] });
    assert.equal(judgeChain(chain, trustState(anchors, revocationsOf(makeCrl(ca), revoking, forged))), 'CERT_REVOKED');
  }
});

test('a verdict holds until the first certificate of the chain or CRL of the trust runs out', () => {
  const { ca, client } = testPki();
  const chain = [client.x509, ca.x509];
  const ends = Math.min(Date.parse(client.x509.validTo), Date.parse(ca.x509.validTo));
  assert.equal(verdictUntil(chain, trustState([ca.x509], undefined)), ends);
  const nextUpdate = new Date(Date.now() + DAY);
  const crl = makeCrl(ca, { nextUpdate });
  assert.equal(verdictUntil(chain, trustState([ca.x509], revocationsOf(crl))), Math.floor(nextUpdate.getTime() / 1000) * 1000);
});
