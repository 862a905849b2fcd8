import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { IANA_TO_OPENSSL } from '../../../src/tls/cipher-names.js';

test('every entry maps an IANA TLS 1.2-or-older suite name to an OpenSSL name', () => {
  for (const [iana, openssl] of Object.entries(IANA_TO_OPENSSL)) {
    assert.match(iana, /^TLS_[A-Za-z0-9_]+_WITH_[A-Z0-9_]+$/, iana);
    assert.match(openssl, /^[A-Z0-9][A-Z0-9-]*$/, `${iana} → ${openssl}`);
  }
});

test('the table has a Java name for every TLS 1.2 suite this OpenSSL offers', () => {
  const mapped = new Set(Object.values(IANA_TO_OPENSSL).map((n) => n.toLowerCase()));
  const offered = tls.getCiphers().filter((n) => !n.startsWith('tls_'));
  assert.ok(offered.length > 0);
  assert.deepEqual(offered.filter((n) => !mapped.has(n)), []);
});
