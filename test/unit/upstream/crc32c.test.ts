import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../../../src/upstream/crc32c.js';

// Check values from RFC 3720 (iSCSI), appendix B.4, and the common "123456789" check value of CRC-32C.
test('known CRC-32C values', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});
