import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPkcs12 } from '../../../src/keystore/pkcs12.js';
import { GatewayError } from '../../../src/errors.js';
import { keytoolEntries, keytoolEntryCount, storeBytes } from '../../helpers/keytool.js';

test('PKCS12 key stores (JDK default, OpenSSL 3 default, legacy RC2/3DES; RSA and EC) match keytool', () => {
  for (const name of ['keystore-jdk.p12', 'keystore-openssl.p12', 'ec-openssl.p12', 'keystore-legacy.p12', 'device-1.p12']) {
    const s = readPkcs12(storeBytes(name), 'changeit', name);
    const entries = keytoolEntries(name);
    assert.equal(s.keys.length + s.trusted.length, entries.length, name);
    for (const e of entries) {
      if (e.type === 'PrivateKeyEntry') {
        const k = s.keys.find((x) => x.alias === e.alias);
        assert.ok(k, `${name}: key ${e.alias}`);
        assert.deepEqual(k.chain.map((c) => c.fingerprint256), e.certs.map((c) => c.sha256), name);
        assert.ok(k.chain[0]!.checkPrivateKey(k.privateKey));
      } else {
        assert.equal(s.trusted.find((x) => x.alias === e.alias)?.certificate.fingerprint256, e.certs[0]!.sha256);
      }
    }
    assert.deepEqual(s.warnings, []);
  }
  const ec = readPkcs12(storeBytes('keystore-jdk.p12'), 'changeit', 'k.p12').keys.find((k) => k.alias === 'ec.example.com');
  assert.equal(ec?.privateKey.asymmetricKeyType, 'ec');
});

test('a keytool certificate-only truststore: the entries carrying Java\'s trust attribute', () => {
  const s = readPkcs12(storeBytes('truststore-jdk.p12'), 'changeit', 't.p12');
  const entries = keytoolEntries('truststore-jdk.p12');
  assert.deepEqual(s.trusted.map((t) => [t.alias, t.certificate.fingerprint256]), entries.map((e) => [e.alias, e.certs[0]!.sha256]));
  assert.deepEqual(s.warnings, []);
});

test('an OpenSSL certificate-only PKCS12 (no trust attribute, Java sees 0 entries) is trusted, with a warning', () => {
  assert.equal(keytoolEntryCount('truststore-openssl.p12'), 0);
  const s = readPkcs12(storeBytes('truststore-openssl.p12'), 'changeit', 'ts.p12');
  const jdk = readPkcs12(storeBytes('truststore-jdk.p12'), 'changeit', 't.p12');
  assert.deepEqual(s.trusted.map((t) => t.alias), ['cert-1', 'cert-2']);
  assert.deepEqual(s.trusted.map((t) => t.certificate.fingerprint256).sort(), jdk.trusted.map((t) => t.certificate.fingerprint256).sort());
  assert.equal(s.warnings.length, 1);
  assert.match(s.warnings[0]!, /lack Java's trust attribute/);
});

test('chain certificates of a key store without the trust attribute are not trusted entries', () => {
  assert.deepEqual(readPkcs12(storeBytes('keystore-openssl.p12'), 'changeit', 'k.p12').trusted, []);
});

test('a wrong PKCS12 password is reported as exactly that, naming the file', () => {
  for (const name of ['keystore-jdk.p12', 'keystore-legacy.p12', 'truststore-openssl.p12']) {
    assert.throws(() => readPkcs12(storeBytes(name), 'wrong', `conf/${name}`), (e: GatewayError) =>
      e.code === 'GW_ERR_STORE_PASSWORD' && e.message.includes(`conf/${name}`));
  }
});

test('without a password, encrypted certificates cannot be read: a password error that says so', () => {
  assert.throws(() => readPkcs12(storeBytes('truststore-jdk.p12'), undefined, 't.p12'), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_PASSWORD' && /encrypted/.test(e.message));
});

test('damaged PKCS12 is reported as damaged', () => {
  const b = storeBytes('keystore-openssl.p12');
  assert.throws(() => readPkcs12(b.subarray(0, 200), 'changeit', 'k.p12'), { code: 'GW_ERR_STORE_CORRUPT' });
  assert.throws(() => readPkcs12(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x03]), 'changeit', 'k.p12'), { code: 'GW_ERR_STORE_CORRUPT' });
  assert.throws(() => readPkcs12(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x02]), 'changeit', 'k.p12'), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_CORRUPT' || e.code === 'GW_ERR_STORE_UNSUPPORTED');
});
