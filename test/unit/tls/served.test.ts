import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientRefusedHint, describeServed, servedBy } from '../../../src/tls/served.js';
import { issue, testPki } from '../../helpers/pki.js';
import { keyEntry } from '../../helpers/tls.js';

test('a served certificate is described by entry, subject, issuer or self-signed, serial and end', () => {
  const { ca, server } = testPki();
  const placeholder = issue({ subject: { CN: 'localhost' }, keyType: 'ec' });
  const served = servedBy(
    '0.0.0.0:443',
    new Map([
      ['localhost', keyEntry('gateway', server, ca)],
      ['other', keyEntry('gateway-2027', placeholder)],
    ]),
  );
  assert.deepEqual(
    served.map(describeServed),
    [
      `keystore entry "gateway" (CN=localhost, O=Acme, issued by CN=Test Root CA, O=Acme, serial ${server.x509.serialNumber}, valid to ${new Date(server.x509.validTo).toISOString()})`,
      `keystore entry "gateway-2027" (CN=localhost, self-signed, serial ${placeholder.x509.serialNumber}, valid to ${new Date(placeholder.x509.validTo).toISOString()})`,
    ],
  );
  assert.deepEqual(
    served.map((s) => [s.address, s.host]),
    [
      ['0.0.0.0:443', 'localhost'],
      ['0.0.0.0:443', 'other'],
    ],
  );
});

test("a client's alert about the gateway's certificate gets a hint naming the entries served; other failures get none", () => {
  const { ca, server } = testPki();
  const one = servedBy('127.0.0.1:443', new Map([['localhost', keyEntry('gateway', server, ca)]]));
  assert.equal(clientRefusedHint('ERR_SSL_NO_SHARED_CIPHER', one), undefined);
  assert.equal(clientRefusedHint(undefined, one), undefined);
  const hint = clientRefusedHint('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', one) ?? '';
  assert.match(hint, /^the client refused the gateway's certificate \(it does not trust the issuer\): this address serves keystore entry "gateway" \(CN=localhost, O=Acme, issued by CN=Test Root CA, O=Acme, /);
  assert.match(clientRefusedHint('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', one) ?? '', /\(it found it expired \(or its own clock is wrong\)\)/);

  const entry = keyEntry('gateway', server, ca);
  const two = servedBy(
    '127.0.0.1:443',
    new Map([
      ['localhost', entry],
      ['127.0.0.1', entry],
      ['api.example', keyEntry('api', issue({ subject: { CN: 'api.example' }, keyType: 'ec' }))],
    ]),
  );
  assert.match(clientRefusedHint('ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN', two) ?? '', /keystore entry "gateway" \(.*\) for localhost, 127\.0\.0\.1; keystore entry "api" \(CN=api\.example, self-signed, .*\) for api\.example;/);
});

test('a client that hangs up during its handshake gets a hint only where the address serves a certificate past its end', () => {
  const { ca, server } = testPki();
  const one = servedBy('127.0.0.1:443', new Map([['localhost', keyEntry('gateway', server, ca)]]));
  assert.equal(clientRefusedHint('ECONNRESET', one), undefined, 'within its dates');
  const after = Date.parse(one[0]?.validTo ?? '') + 1000;
  const hint = clientRefusedHint('ECONNRESET', one, after) ?? '';
  assert.match(hint, /^this address serves keystore entry "gateway" \(CN=localhost, O=Acme, .*\), past its end: a client that checks dates refuses it, and some hang up without an alert; renew it/);
});
