import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { md5, md5Chain } from '../../../src/keystore/md5.js';

const nodeMd5 = (b: Uint8Array) => createHash('md5').update(b).digest();

test('md5 matches RFC 1321 test vectors', () => {
  const hex = (s: string) => Buffer.from(md5(Buffer.from(s, 'latin1'))).toString('hex');
  assert.equal(hex(''), 'd41d8cd98f00b204e9800998ecf8427e');
  assert.equal(hex('abc'), '900150983cd24fb0d6963f7d28e17f72');
  assert.equal(hex('12345678901234567890123456789012345678901234567890123456789012345678901234567890'),
    '57edf4a22be3c955ac49da2e2107b67a');
});

test('md5 equals node:crypto for any input, across block boundaries', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
    assert.deepEqual(Buffer.from(md5(data)), nodeMd5(data));
  }), { numRuns: 500 });
});

test('md5Chain equals iterating node:crypto over digest ‖ password', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ maxLength: 80 }),
    fc.integer({ min: 0, max: 40 }), (seed, password, rounds) => {
      let d: Buffer = Buffer.from(seed);
      for (let i = 0; i < rounds; i++) d = nodeMd5(Buffer.concat([d, password]));
      assert.deepEqual(Buffer.from(md5Chain(seed, password, rounds)), d);
    }), { numRuns: 300 });
});
