import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { keyMaterial, toPem, trustAnchors } from '../../../src/tls/material.js';
import { testPki } from '../../helpers/pki.js';
import { keyEntry, trustStore } from '../../helpers/tls.js';

test('a key entry becomes a PKCS#8 key and its whole chain, leaf first', () => {
  const { server, ca } = testPki();
  const m = keyMaterial(keyEntry('server', server, ca));
  assert.match(m.key, /^-{5}BEGIN PRIVATE KEY-{5}/);
  assert.ok(createPrivateKey(m.key).equals(server.keyObject));
  const certs = m.cert.split(/(?<=-----END CERTIFICATE-----\n?)/).filter((s) => s.trim().length > 0);
  assert.deepEqual(
    certs.map((c) => new X509Certificate(c).fingerprint256),
    [server.x509.fingerprint256, ca.x509.fingerprint256],
  );
});

test('trust anchors are the trusted entries and the leaf of each key entry, as Java trusts them', () => {
  const { ca, otherCa, client, server } = testPki();
  const store = { ...trustStore(ca, otherCa, ca), keys: [keyEntry('device', client, ca), keyEntry('srv', server, ca)] };
  assert.deepEqual(
    trustAnchors(store).map((c) => c.fingerprint256),
    [ca, otherCa, client, server].map((i) => i.x509.fingerprint256),
  );
  assert.deepEqual(toPem([ca.x509]), [ca.x509.toString()]);
});
