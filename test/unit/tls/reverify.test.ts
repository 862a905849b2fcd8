import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCrls } from '../../../src/tls/crl.js';
import type { ClientIdentity } from '../../../src/tls/identity.js';
import { trustState } from '../../../src/tls/resumed.js';
import { reverify } from '../../../src/tls/reverify.js';
import { chainEnd } from '../../../src/tls/chain-end.js';
import { chainFacts } from '../../../src/tls/chain-facts.js';
import { makeCrl } from '../../helpers/crl.js';
import { issue, testPki } from '../../helpers/pki.js';

const pki = testPki();

function verified(leaf: { x509: { raw: Buffer; serialNumber: string } }, ...chain: { x509: { raw: Buffer } }[]): ClientIdentity {
  return {
    presented: true,
    verified: true,
    error: undefined,
    subject: 'CN=x',
    subjectAttributes: {},
    issuer: undefined,
    sans: [],
    fingerprint256: undefined,
    serialNumber: leaf.x509.serialNumber,
    validTo: undefined,
    chainDepth: chain.length,
    certificateDer: leaf.x509.raw,
    chainDer: chain.map((c) => c.x509.raw),
  };
}

function crlFile(t: { after(fn: () => void): void }, pem: string) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-reverify-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'crl.pem'), pem);
  return loadCrls(join(dir, 'crl.pem'));
}

test('a certificate whose serial a CRL of its issuer now lists is no longer verified (CERT_REVOKED); others are unchanged', (t) => {
  const crl = crlFile(t, makeCrl(pki.ca, { revoked: [{ serial: pki.client.x509.serialNumber }] }).pem);
  const trust = trustState([pki.ca.x509], crl.revocations);
  const revoked = reverify(verified(pki.client, pki.ca), trust);
  assert.equal(revoked.verified, false);
  assert.equal(revoked.error, 'CERT_REVOKED');
  const other = verified(pki.client2, pki.ca);
  assert.equal(reverify(other, trust), other);
});

test('a revoked intermediate CA revokes the certificates below it', (t) => {
  const intermediate = issue({ subject: { CN: 'Intermediate', O: 'Acme' }, isCA: true, issuer: pki.ca });
  const leaf = issue({ subject: { CN: 'device-9' }, issuer: intermediate, usage: 'client' });
  const crl = crlFile(t, makeCrl(pki.ca, { revoked: [{ serial: intermediate.x509.serialNumber }] }).pem + makeCrl(intermediate).pem);
  assert.equal(reverify(verified(leaf, intermediate, pki.ca), trustState([pki.ca.x509], crl.revocations)).error, 'CERT_REVOKED');
});

test('a CA of the truststore below its root is judged against the root\'s CRL, and the chain must end at a root', (t) => {
  const intermediate = issue({ subject: { CN: 'Trusted Intermediate', O: 'Acme' }, isCA: true, issuer: pki.ca });
  const leaf = issue({ subject: { CN: 'device-10' }, issuer: intermediate, usage: 'client' });
  const identity = verified(leaf, intermediate, pki.ca);
  const revoked = crlFile(t, makeCrl(pki.ca, { revoked: [{ serial: intermediate.x509.serialNumber }] }).pem + makeCrl(intermediate).pem);
  // The whole chain imported into the truststore: OpenSSL still checks the intermediate against the root's CRL.
  assert.equal(reverify(identity, trustState([pki.ca.x509, intermediate.x509], revoked.revocations)).error, 'CERT_REVOKED');
  const current = crlFile(t, makeCrl(pki.ca).pem + makeCrl(intermediate).pem);
  assert.equal(reverify(identity, trustState([pki.ca.x509, intermediate.x509], current.revocations)), identity);
  // Without the root, the intermediate alone anchors nothing: OpenSSL is not given partial chains.
  assert.equal(reverify(identity, trustState([intermediate.x509], current.revocations)).error, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  assert.equal(reverify(verified(leaf, intermediate), trustState([pki.ca.x509, intermediate.x509], undefined)).error, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
});

test('a truststore without the anchor of the verified chain no longer verifies it; unverified identities are left as they are', () => {
  const identity = verified(pki.client, pki.ca);
  const gone = reverify(identity, trustState([pki.otherCa.x509], undefined));
  assert.equal(gone.verified, false);
  assert.equal(gone.error, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  assert.equal(reverify(identity, trustState([pki.ca.x509, pki.otherCa.x509], undefined)), identity);
  const refused = { ...identity, verified: false, error: 'CERT_HAS_EXPIRED' };
  assert.equal(reverify(refused, trustState([], undefined)), refused);
  assert.equal(reverify(identity, undefined), identity, 'verify-client none: nothing to judge against');
});

test("a certificate ticket's identity is not judged by a listener's own trust (it holds no certificate), and ends when its chain does", () => {
  const facts = chainFacts(pki.client.x509.raw, [pki.ca.x509.raw]);
  assert.ok(facts !== undefined);
  const byTicket: ClientIdentity = { ...verified(pki.client), certificateDer: undefined, chainDer: [], ticket: 'ios', ticketChain: facts };
  assert.equal(reverify(byTicket, trustState([pki.otherCa.x509], undefined)), byTicket);
  assert.equal(chainEnd(byTicket), facts.end);
  assert.equal(chainEnd({ ...byTicket, verified: false }), undefined);
});
