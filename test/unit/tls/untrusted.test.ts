import assert from 'node:assert/strict';
import { test } from 'node:test';
import { untrustedBackendHint, UNTRUSTED_CHAIN } from '../../../src/tls/untrusted.js';

test("every code of a chain outside the truststore, and a backend's self-signed certificate, get a hint on the truststore", () => {
  for (const code of UNTRUSTED_CHAIN) assert.match(untrustedBackendHint(code) ?? '', /^import the CA that issued/, code);
  assert.match(untrustedBackendHint('DEPTH_ZERO_SELF_SIGNED_CERT') ?? '', /self-signed certificate: trust it by importing it/);
});

test('a failure the truststore cannot mend gets no hint', () => {
  for (const code of ['CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ECONNRESET', undefined]) assert.equal(untrustedBackendHint(code), undefined, code);
});

test('a backend that requires a client certificate the gateway did not present is told to be given one', () => {
  assert.match(untrustedBackendHint('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') ?? '', /requires a client certificate: .*gateway connect --keystore/);
});
