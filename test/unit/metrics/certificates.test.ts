import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateReport } from '../../../src/metrics/certificates.js';
import { overview } from '../../../src/services/management/overview.js';
import type { ManagementSource } from '../../../src/services/management/types.js';
import { servedBy } from '../../../src/tls/served.js';
import { testPki } from '../../helpers/pki.js';
import { keyEntry, keyStore, trustStore } from '../../helpers/tls.js';

test('certificate names are written as the log lines and CRL issuers write them, most specific first', () => {
  const { ca, server } = testPki();
  const report = certificateReport(keyStore(keyEntry('gateway', server, ca)), trustStore(ca), [{ issuer: 'CN=Test Root CA, O=Acme', thisUpdate: new Date().toISOString(), nextUpdate: new Date(Date.now() + 86_400_000).toISOString(), revoked: 0, file: 'ca.crl' }]);
  assert.deepEqual(report.server.map((s) => [s.alias, s.subject, s.serial]), [['gateway', 'CN=localhost, O=Acme', server.x509.serialNumber]]);
  assert.equal(report.soonestClientCa?.subject, 'CN=Test Root CA, O=Acme');
  assert.equal(report.soonestCrl?.issuer, report.soonestClientCa?.subject);
});

test('each server certificate says which host names on which addresses it serves, and the status page shows it', () => {
  const { ca, server } = testPki();
  const entry = keyEntry('gateway', server, ca);
  const spare = keyEntry('spare', server, ca);
  const served = servedBy('0.0.0.0:443', new Map([['localhost', entry], ['127.0.0.1', entry]]));
  const report = certificateReport(keyStore(entry, spare), undefined, [], served);
  assert.deepEqual(
    report.server.map((s) => [s.alias, s.serves]),
    [
      ['gateway', ['localhost on 0.0.0.0:443', '127.0.0.1 on 0.0.0.0:443']],
      ['spare', []],
    ],
  );
  const source = { certificates: () => report, readiness: () => [], sessions: new Set(), services: () => [], listeners: () => [], refusals: () => [], lastReload: () => undefined };
  const rows = overview(source as unknown as ManagementSource).certificates.map((c) => c.name);
  assert.deepEqual(rows, [
    `gateway: CN=localhost, O=Acme (serial ${server.x509.serialNumber}), serves localhost on 0.0.0.0:443, 127.0.0.1 on 0.0.0.0:443`,
    `spare: CN=localhost, O=Acme (serial ${server.x509.serialNumber})`,
  ]);
});
