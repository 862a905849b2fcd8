import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPkcs12 } from '../../../src/keystore/pkcs12.js';
import { GatewayError } from '../../../src/errors.js';
import { keytoolCerts, keytoolEntries, keytoolEntryCount, storeBytes } from '../../helpers/keytool.js';

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

test('a non-ASCII password opens PBES2 stores (its UTF-8 bytes) and legacy ones (its BMPString), as OpenSSL makes them', () => {
  const chain = keytoolCerts('localhost.crt.pem').map((c) => c.sha256);
  for (const name of ['utf8-password.p12', 'utf8-password-legacy.p12']) {
    const s = readPkcs12(storeBytes(name), 'pässwörd', name);
    assert.deepEqual(s.keys.map((k) => k.alias), ['localhost'], name);
    assert.deepEqual(s.keys[0]!.chain.map((c) => c.fingerprint256), chain, name);
    assert.throws(() => readPkcs12(storeBytes(name), 'passwort', name), { code: 'GW_ERR_STORE_PASSWORD' });
  }
});

test('a key whose password differs from the store\'s (which passes the MAC) is a key password error naming the alias', () => {
  assert.equal(keytoolEntries('keypass-differs.p12')[0]?.type, 'PrivateKeyEntry');
  assert.throws(() => readPkcs12(storeBytes('keypass-differs.p12'), 'changeit', 'conf/kp.p12'), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_KEY_PASSWORD' && e.message.includes('conf/kp.p12') && e.message.includes('"localhost"')
    && /keytool cannot change/.test(e.hint ?? ''));
});

test('without a MAC, every wrong password is a wrong password, also when the CBC padding checks by chance', () => {
  // With these passwords the padding of the certificates (nomac.p12) or of the key (nomac-plain-certs.p12) checks
  // a few times, leaving garbage where a SafeContents or a PKCS#8 key is expected.
  for (const name of ['nomac.p12', 'nomac-plain-certs.p12']) {
    assert.equal(readPkcs12(storeBytes(name), 'changeit', name).keys.length, 1);
    const bytes = storeBytes(name);
    for (let i = 0; i < 300; i++) {
      assert.throws(() => readPkcs12(bytes, `wrong${i}`, name), (e: GatewayError) =>
        e.code === 'GW_ERR_STORE_PASSWORD' && /wrong password/.test(e.message), `${name} with wrong${i}`);
    }
  }
});

/** The store with its `n`th iteration count of 65536 (INTEGER 01 00 00) raised to 5 000 001, one past Java's limit. */
function raiseIterations(name: string, n: number): Buffer {
  const b = Buffer.from(storeBytes(name));
  const at: number[] = [];
  for (let i = b.indexOf(Buffer.from('0203010000', 'hex')); i !== -1; i = b.indexOf(Buffer.from('0203010000', 'hex'), i + 1)) at.push(i);
  assert.ok(n < at.length, `${name} has ${at.length} counts of 65536`);
  Buffer.from([0x4c, 0x4b, 0x41]).copy(b, at[n]! + 2);
  return b;
}

test('an iteration count above Java\'s 5 000 000 is refused before any key is derived, naming the store and the count', () => {
  for (const name of ['iter-65536.p12', 'iter-65536-nomac.p12', 'iter-65536-legacy-nomac.p12']) {
    assert.equal(readPkcs12(storeBytes(name), 'changeit', name).keys.length, 1, name);
  }
  // MAC (the last count of a store with one), PBES2 certificates and key, PKCS#12 PBE (RC2 certificates, 3DES key).
  for (const [name, n, what] of [['iter-65536.p12', 2, 'MAC'], ['iter-65536-nomac.p12', 0, 'certificates'],
    ['iter-65536-nomac.p12', 1, 'key of entry "localhost"'], ['iter-65536-legacy-nomac.p12', 0, 'certificates'],
    ['iter-65536-legacy-nomac.p12', 1, 'key of entry "localhost"']] as const) {
    assert.throws(() => readPkcs12(raiseIterations(name, n), 'changeit', `conf/${name}`), (e: GatewayError) =>
      e.code === 'GW_ERR_STORE_UNSUPPORTED' && e.message.includes(`conf/${name}`) && e.message.includes('5000001')
      && e.message.includes(what), `${name} #${n}`);
  }
});
