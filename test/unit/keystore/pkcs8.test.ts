import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { isPrivateKeyInfo, loadPrivateKey } from '../../../src/keystore/pkcs8.js';
import { GatewayError } from '../../../src/errors.js';
import { storeBytes } from '../../helpers/keytool.js';

const pkcs8 = createPrivateKey(storeBytes('localhost.pkcs8.key.pem')).export({ format: 'der', type: 'pkcs8' });

test('decrypted garbage is the caller\'s wrong-password error, not an unsupported key', () => {
  assert.ok(isPrivateKeyInfo(pkcs8));
  const wrong = () => new GatewayError('GW_ERR_STORE_KEY_PASSWORD', 'wrong');
  // What a wrong password leaves when the padding checks: random bytes, or bytes that open like a SEQUENCE.
  for (const garbage of [Buffer.from('d41d8cd98f00b204e9800998ecf8427e', 'hex'), Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]),
    Buffer.concat([pkcs8, Buffer.from([0])]), pkcs8.subarray(0, pkcs8.length - 1)]) {
    assert.equal(isPrivateKeyInfo(garbage), false);
    assert.throws(() => loadPrivateKey(garbage, 'k.p12', 'a', wrong), { code: 'GW_ERR_STORE_KEY_PASSWORD' });
  }
  assert.equal(loadPrivateKey(pkcs8, 'k.p12', 'a', wrong).asymmetricKeyType, 'rsa');
});

test('a well-formed PKCS#8 key that Node cannot load is unsupported, naming the store and the entry', () => {
  // PrivateKeyInfo { 0, { OID 1.2 }, OCTET STRING 00 }
  const unknown = Buffer.from([0x30, 0x0b, 0x02, 0x01, 0x00, 0x30, 0x03, 0x06, 0x01, 0x2a, 0x04, 0x01, 0x00]);
  assert.ok(isPrivateKeyInfo(unknown));
  assert.throws(() => loadPrivateKey(unknown, 'conf/k.p12', 'mykey', () => new Error('not this')), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_UNSUPPORTED' && e.message.includes('conf/k.p12') && e.message.includes('"mykey"'));
});
