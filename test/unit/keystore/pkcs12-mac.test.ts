import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import forge from 'node-forge';
import { pkcs12Kdf, verifyPkcs12Mac, macHashName } from '../../../src/keystore/pkcs12-mac.js';

const SHA1 = '1.3.14.3.2.26';
const SHA256 = '2.16.840.1.101.3.4.2.1';

test('the RFC 7292 B.2 derivation equals node-forge\'s for any password, salt and length', () => {
  fc.assert(fc.property(fc.string({ maxLength: 20 }), fc.uint8Array({ minLength: 1, maxLength: 20 }),
    fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 70 }), fc.constantFrom(1, 2, 3), fc.boolean(),
    (pw, salt, iterations, size, id, sha256) => {
      const md = sha256 ? forge.md.sha256.create() : forge.md.sha1.create();
      const expected = (forge.pkcs12 as unknown as {
        generateKey(p: string, s: forge.util.ByteStringBuffer, id: number, it: number, n: number, md: forge.md.MessageDigest): forge.util.ByteStringBuffer;
      }).generateKey(pw, forge.util.createBuffer(Buffer.from(salt).toString('binary')), id, iterations, size, md);
      const got = pkcs12Kdf(sha256 ? SHA256 : SHA1, pw, salt, id, iterations, size);
      assert.equal(got.toString('binary'), expected.getBytes());
    }), { numRuns: 150 });
});

test('MAC verification accepts the right MAC only; unknown hashes are named', () => {
  const salt = Buffer.from('0102030405060708', 'hex');
  const data = Buffer.from('authenticated safe');
  const key = pkcs12Kdf(SHA256, 'pw', salt, 3, 10, 32);
  const mac = forge.hmac.create();
  mac.start('sha256', key.toString('binary'));
  mac.update(data.toString('binary'));
  const expected = Buffer.from(mac.digest().getBytes(), 'binary');
  assert.equal(verifyPkcs12Mac(SHA256, 'pw', salt, 10, data, expected), true);
  assert.equal(verifyPkcs12Mac(SHA256, 'other', salt, 10, data, expected), false);
  assert.equal(macHashName(SHA1), 'sha1');
  assert.equal(macHashName('1.2.3'), undefined);
});
