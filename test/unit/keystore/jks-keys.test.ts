import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { deriveJceksKey, parseEncryptedPrivateKeyInfo, unprotectKey } from '../../../src/keystore/jks-keys.js';
import { GatewayError } from '../../../src/errors.js';

/** SunJCE's PBES1Core.deriveCipherKey, written the obvious way with node:crypto. */
function reference(password: Buffer, salt: Buffer, iterations: number): Buffer {
  const s = Buffer.from(salt);
  if (s.subarray(0, 4).equals(s.subarray(4, 8))) s.subarray(0, 4).reverse();
  const out: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    let d = s.subarray(i * 4, i * 4 + 4);
    for (let j = 0; j < iterations; j++) d = createHash('md5').update(d).update(password).digest();
    out.push(d);
  }
  return Buffer.concat(out);
}

test('the JCEKS derivation equals SunJCE\'s algorithm, including the equal-halves quirk', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 40 }), fc.uint8Array({ minLength: 8, maxLength: 8 }),
    fc.integer({ min: 1, max: 50 }), fc.boolean(), (pw, salt, n, equalHalves) => {
      const s = Buffer.from(salt);
      if (equalHalves) s.copy(s, 4, 0, 4);
      const { key, iv } = deriveJceksKey(Buffer.from(pw, 'latin1'), s, n);
      assert.deepEqual(Buffer.concat([key, iv]), reference(Buffer.from(pw, 'latin1'), s, n));
    }), { numRuns: 200 });
});

/** EncryptedPrivateKeyInfo with the given algorithm OID (DER content bytes) and payload. */
function epki(oidContent: number[], payload: Buffer): Buffer {
  const oid = Buffer.from([0x06, oidContent.length, ...oidContent]);
  const alg = Buffer.from([0x30, oid.length + 2, ...oid, 0x05, 0x00]);
  const data = Buffer.from([0x04, payload.length, ...payload]);
  return Buffer.from([0x30, alg.length + data.length, ...alg, ...data]);
}

test('an unknown key protection algorithm is unsupported, naming the alias', () => {
  const der = epki([0x2a, 0x03], Buffer.alloc(48));
  assert.equal(parseEncryptedPrivateKeyInfo(der, 'f', 'a').algorithm, '1.2.3');
  assert.throws(() => unprotectKey(der, 'pw', 'f.jks', 'mykey'), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_UNSUPPORTED' && e.message.includes('"mykey"') && e.message.includes('1.2.3'));
});

test('a JKS-protected key that fails its check is a key password error; garbage DER is damage', () => {
  const jksOid = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x2a, 0x02, 0x11, 0x01, 0x01];
  assert.throws(() => unprotectKey(epki(jksOid, Buffer.alloc(64, 7)), 'pw', 'f.jks', 'k'), { code: 'GW_ERR_STORE_KEY_PASSWORD' });
  assert.throws(() => unprotectKey(epki(jksOid, Buffer.alloc(10)), 'pw', 'f.jks', 'k'), { code: 'GW_ERR_STORE_CORRUPT' });
  assert.throws(() => unprotectKey(Buffer.from([0x30, 0x7f, 1]), 'pw', 'f.jks', 'k'), { code: 'GW_ERR_STORE_CORRUPT' });
  assert.throws(() => unprotectKey(Buffer.from([0x04, 0x00]), 'pw', 'f.jks', 'k'), { code: 'GW_ERR_STORE_CORRUPT' });
});
