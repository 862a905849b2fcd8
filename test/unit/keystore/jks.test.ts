import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readJavaKeyStore } from '../../../src/keystore/jks.js';
import type { StoreContents } from '../../../src/keystore/types.js';
import { GatewayError } from '../../../src/errors.js';
import { keytoolEntries, storeBytes } from '../../helpers/keytool.js';

function assertMatchesKeytool(name: string, s: StoreContents): void {
  const entries = keytoolEntries(name);
  assert.ok(entries.length > 0);
  for (const e of entries) {
    if (e.type === 'PrivateKeyEntry') {
      const k = s.keys.find((x) => x.alias === e.alias);
      assert.ok(k, `key entry ${e.alias}`);
      assert.deepEqual(k.chain.map((c) => c.fingerprint256), e.certs.map((c) => c.sha256));
      assert.ok(k.chain[0]!.checkPrivateKey(k.privateKey), `${e.alias}: the key matches its certificate`);
    } else if (e.type === 'trustedCertEntry') {
      const t = s.trusted.find((x) => x.alias === e.alias);
      assert.ok(t, `trusted entry ${e.alias}`);
      assert.equal(t.certificate.fingerprint256, e.certs[0]!.sha256);
    } else {
      assert.ok(s.secrets.some((x) => x.alias === e.alias), `secret entry ${e.alias}`);
    }
  }
  assert.equal(s.keys.length + s.trusted.length + s.secrets.length, entries.length);
}

let jceks: StoreContents | undefined;
const gatewayJceks = () => (jceks ??= readJavaKeyStore(storeBytes('gateway.jceks'), 'jceks-pass', 'gateway.jceks'));

test('JCEKS: RSA and EC keys with chains, the secret key "session" and a trusted certificate, as keytool lists them', () => {
  const s = gatewayJceks();
  assert.equal(s.format, 'JCEKS');
  assert.deepEqual(s.keys.map((k) => k.alias).sort(), ['ec.example.com', 'gateway.example.com', 'localhost']);
  assert.equal(s.keys.find((k) => k.alias === 'ec.example.com')!.privateKey.asymmetricKeyType, 'ec');
  assert.equal(s.keys.find((k) => k.alias === 'localhost')!.privateKey.asymmetricKeyType, 'rsa');
  assert.deepEqual(s.secrets, [{ alias: 'session', algorithm: undefined }]);
  assert.deepEqual(s.warnings, []);
  assertMatchesKeytool('gateway.jceks', s);
});

test('JKS key store and trust stores read as keytool lists them', () => {
  for (const name of ['keystore.jks', 'truststore.jks', 'truststore-150.jks']) {
    const s = readJavaKeyStore(storeBytes(name), 'changeit', name);
    assert.equal(s.format, 'JKS');
    assertMatchesKeytool(name, s);
  }
  assert.equal(readJavaKeyStore(storeBytes('truststore-150.jks'), 'changeit', 'x').trusted.length, 150);
});

test('a wrong password is reported as exactly that, naming the file', () => {
  for (const name of ['gateway.jceks', 'keystore.jks']) {
    assert.throws(() => readJavaKeyStore(storeBytes(name), 'not-the-password', `conf/${name}`), (e: GatewayError) =>
      e.code === 'GW_ERR_STORE_PASSWORD' && e.message.includes(`conf/${name}`) && /wrong password/.test(e.message));
  }
});

test('without a password: no integrity check, certificates read, keys left locked with their chains, both said in warnings', () => {
  const s = readJavaKeyStore(storeBytes('gateway.jceks'), undefined, 'gateway.jceks');
  assert.equal(s.keys.length, 0);
  assert.deepEqual(s.lockedKeys?.map((k) => [k.alias, k.chain.length]), [['ec.example.com', 2], ['gateway.example.com', 2], ['localhost', 2]].sort());
  assert.equal(s.trusted.length, 1);
  assert.equal(s.secrets.length, 1);
  assert.equal(s.warnings.length, 2);
  assert.match(s.warnings[0]!, /without its integrity check/);
  assert.match(s.warnings[1]!, /"localhost"/);
  const t = readJavaKeyStore(storeBytes('truststore.jks'), undefined, 'truststore.jks');
  assert.equal(t.trusted.length, 2);
});

test('a key entry whose password differs from the store\'s is a clear error naming the alias', () => {
  assert.throws(() => readJavaKeyStore(storeBytes('keypass-differs.jceks'), 'jceks-pass', 'keypass-differs.jceks'),
    (e: GatewayError) => e.code === 'GW_ERR_STORE_KEY_PASSWORD' && e.message.includes('"localhost"') && e.message.includes('keypass-differs.jceks'));
});

test('a truncated store is damaged, not a wrong password', () => {
  const b = storeBytes('keystore.jks');
  for (const n of [0, 3, 11, 100, b.length - 21, b.length - 1]) {
    assert.throws(() => readJavaKeyStore(b.subarray(0, n), 'changeit', 'k.jks'), (e: GatewayError) =>
      n < 4 ? e.code === 'GW_ERR_STORE_CORRUPT' : e.code === 'GW_ERR_STORE_CORRUPT' && e.message.includes('k.jks'));
  }
});

test('bytes after the integrity check are damage', () => {
  const b = Buffer.concat([storeBytes('truststore.jks'), Buffer.from([0])]);
  assert.throws(() => readJavaKeyStore(b, 'changeit', 't.jks'), { code: 'GW_ERR_STORE_CORRUPT' });
});

test('an unknown version, a secret key in a JKS file and a huge entry length are reported with codes', () => {
  const b = Buffer.from(storeBytes('truststore.jks'));
  const v = Buffer.from(b);
  v.writeUInt32BE(3, 4);
  assert.throws(() => readJavaKeyStore(v, 'changeit', 't.jks'), { code: 'GW_ERR_STORE_UNSUPPORTED' });
  const tag = Buffer.from(b);
  tag.writeUInt32BE(3, 12); // first entry claims to be a secret key, which JKS cannot hold
  assert.throws(() => readJavaKeyStore(tag, 'changeit', 't.jks'), { code: 'GW_ERR_STORE_CORRUPT' });
  const count = Buffer.from(b);
  count.writeUInt32BE(0xffffffff, 8);
  assert.throws(() => readJavaKeyStore(count, 'changeit', 't.jks'), { code: 'GW_ERR_STORE_CORRUPT' });
  const magic = Buffer.from(b);
  magic.writeUInt32BE(0x12345678, 0);
  assert.throws(() => readJavaKeyStore(magic, 'changeit', 't.jks'), { code: 'GW_ERR_STORE_FORMAT' });
});
