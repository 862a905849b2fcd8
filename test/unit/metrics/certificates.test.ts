import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateReport } from '../../../src/metrics/certificates.js';
import { testPki } from '../../helpers/pki.js';
import { keyEntry, keyStore, trustStore } from '../../helpers/tls.js';

test('certificate names are written as the log lines and CRL issuers write them, most specific first', () => {
  const { ca, server } = testPki();
  const report = certificateReport(keyStore(keyEntry('gateway', server, ca)), trustStore(ca), [{ issuer: 'CN=Test Root CA, O=Acme', thisUpdate: new Date().toISOString(), nextUpdate: new Date(Date.now() + 86_400_000).toISOString(), revoked: 0, file: 'ca.crl' }]);
  assert.deepEqual(report.server.map((s) => [s.alias, s.subject, s.serial]), [['gateway', 'CN=localhost, O=Acme', server.x509.serialNumber]]);
  assert.equal(report.soonestClientCa?.subject, 'CN=Test Root CA, O=Acme');
  assert.equal(report.soonestCrl?.issuer, report.soonestClientCa?.subject);
});
