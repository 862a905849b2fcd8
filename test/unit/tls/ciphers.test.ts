import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { GatewayError } from '../../../src/errors.js';
import { DEFAULT_CIPHERS, DEFAULT_TLS12_CIPHERS, resolveCiphers, toOpenSslCipherName } from '../../../src/tls/ciphers.js';
import { testPki } from '../../helpers/pki.js';
import { handshake } from '../../helpers/tls.js';

const OPTS = { where: 'accept wss://example.com:443/', secLevel0: false };

test('Java / IANA suite names map to OpenSSL names', () => {
  assert.equal(toOpenSslCipherName('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256');
  assert.equal(toOpenSslCipherName('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'), 'ECDHE-ECDSA-CHACHA20-POLY1305');
  assert.equal(toOpenSslCipherName('TLS_RSA_WITH_AES_256_CBC_SHA'), 'AES256-SHA');
  assert.equal(toOpenSslCipherName('TLS_DHE_RSA_WITH_AES_128_CBC_SHA256'), 'DHE-RSA-AES128-SHA256');
  assert.equal(toOpenSslCipherName('TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256'), 'ECDHE-ARIA128-GCM-SHA256');
  assert.equal(toOpenSslCipherName('TLS_DH_anon_WITH_AES_128_CBC_SHA'), 'ADH-AES128-SHA');
  // Java's SSL_ prefix and OpenSSL's swapped DHE_PSK spelling.
  assert.equal(toOpenSslCipherName('SSL_RSA_WITH_3DES_EDE_CBC_SHA'), 'DES-CBC3-SHA');
  assert.equal(toOpenSslCipherName('TLS_DHE_PSK_WITH_AES_128_CCM_8'), 'DHE-PSK-AES128-CCM8');
  assert.equal(toOpenSslCipherName('tls_aes_128_gcm_sha256'), 'TLS_AES_128_GCM_SHA256');
  assert.equal(toOpenSslCipherName('TLS_ECDH_RSA_WITH_AES_128_CBC_SHA'), undefined);
  assert.equal(toOpenSslCipherName('TLS_KRB5_WITH_3DES_EDE_CBC_SHA'), undefined);
});

test('Kaazing keywords and OpenSSL names are kept; commas become colons', () => {
  const r = resolveCiphers('HIGH,!ADH,!KRB5,ECDHE-RSA-AES128-GCM-SHA256', OPTS);
  assert.equal(r.ciphers, 'HIGH:!ADH:!KRB5:ECDHE-RSA-AES128-GCM-SHA256');
  assert.deepEqual(r.warnings, []);
});

test('Java names are translated, TLS 1.3 suites lead, operators keep applying', () => {
  const r = resolveCiphers(
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, !TLS_RSA_WITH_AES_128_CBC_SHA',
    OPTS,
  );
  assert.equal(r.ciphers, 'TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES256-GCM-SHA384:!AES128-SHA');
});

test('DEFAULT is moved first, where OpenSSL requires it', () => {
  assert.equal(resolveCiphers('!RC4,DEFAULT', OPTS).ciphers, 'DEFAULT:!RC4');
});

test('names this OpenSSL lacks are dropped with a warning each', () => {
  const r = resolveCiphers(
    'TLS_ECDH_RSA_WITH_AES_128_CBC_SHA,SSL_RSA_WITH_RC4_128_SHA,TLS_EMPTY_RENEGOTIATION_INFO_SCSV,NOSUCHCIPHER,ECDHE-RSA-AES128-GCM-SHA256',
    OPTS,
  );
  assert.equal(r.ciphers, 'ECDHE-RSA-AES128-GCM-SHA256');
  assert.equal(r.warnings.length, 4);
  assert.match(r.warnings[0] ?? '', /TLS_ECDH_RSA_WITH_AES_128_CBC_SHA is not a cipher suite this platform's OpenSSL provides/);
  assert.match(r.warnings[1] ?? '', /SSL_RSA_WITH_RC4_128_SHA \(OpenSSL RC4-SHA\) is not available/);
  assert.match(r.warnings[2] ?? '', /signalling value/);
  assert.match(r.warnings[3] ?? '', /"NOSUCHCIPHER" matches no cipher/);
});

test('a list that yields no cipher is refused, naming the value', () => {
  for (const value of ['NOSUCHCIPHER', '!ALL', 'TLS_ECDH_RSA_WITH_AES_128_CBC_SHA', '']) {
    assert.throws(
      () => resolveCiphers(value, OPTS),
      (e: unknown) =>
        e instanceof GatewayError && e.code === 'GW_ERR_TLS_CIPHERS' && e.message.includes(`ssl.ciphers "${value}"`),
      value,
    );
  }
});

test('no value means ECDHE with AEAD ciphers for TLS 1.2 and Node\'s TLS 1.3 suites; legacy protocols get Node\'s list at level 0', () => {
  assert.deepEqual(resolveCiphers(undefined, OPTS), { ciphers: DEFAULT_CIPHERS, warnings: [] });
  const names = DEFAULT_CIPHERS.split(':');
  assert.deepEqual(names.filter((n) => n.startsWith('TLS_')), tls.DEFAULT_CIPHERS.split(':').filter((n) => n.startsWith('TLS_')));
  assert.deepEqual(names.filter((n) => !n.startsWith('TLS_')), DEFAULT_TLS12_CIPHERS);
  for (const name of DEFAULT_TLS12_CIPHERS) assert.match(name, /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
  assert.equal(resolveCiphers(undefined, { ...OPTS, secLevel0: true }).ciphers, `${tls.DEFAULT_CIPHERS}:@SECLEVEL=0`);
  assert.equal(resolveCiphers('HIGH', { ...OPTS, secLevel0: true }).ciphers, 'HIGH:@SECLEVEL=0');
  assert.equal(resolveCiphers('HIGH:@SECLEVEL=1', { ...OPTS, secLevel0: true }).ciphers, 'HIGH:@SECLEVEL=1');
});

test('a handshake negotiates the suite named by its Java name', async () => {
  const { server, ca } = testPki();
  const { ciphers } = resolveCiphers('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', OPTS);
  const result = await handshake(
    { key: server.key, cert: server.cert, ciphers, maxVersion: 'TLSv1.2' },
    { ca: [ca.cert], servername: 'localhost' },
    (s) => s.getCipher(),
  );
  assert.equal(result.clientError, undefined);
  assert.equal(result.server?.name, 'ECDHE-RSA-AES256-GCM-SHA384');
  assert.equal(result.server?.standardName, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
});

test('a handshake with a TLS 1.3 suite named alone', async () => {
  const { server, ca } = testPki();
  const { ciphers } = resolveCiphers('TLS_CHACHA20_POLY1305_SHA256', OPTS);
  const result = await handshake(
    { key: server.key, cert: server.cert, ciphers },
    { ca: [ca.cert], servername: 'localhost' },
    (s) => s.getCipher(),
  );
  assert.equal(result.server?.name, 'TLS_CHACHA20_POLY1305_SHA256');
  assert.equal(result.server?.version, 'TLSv1.3');
});
