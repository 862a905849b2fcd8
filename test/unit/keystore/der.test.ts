import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOid, decodeSmallInt, readChildren, readTlv } from '../../../src/keystore/der.js';

test('DER elements, long-form lengths, OIDs and small integers', () => {
  const t = readTlv(Buffer.from([0x04, 0x82, 0x00, 0x02, 9, 8]), 0, 'f', 'w');
  assert.deepEqual([t.tag, [...t.value], t.end], [0x04, [9, 8], 6]);
  assert.equal(readChildren(Buffer.from([0x02, 1, 5, 0x05, 0]), 'f', 'w').length, 2);
  assert.equal(decodeOid(Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x2a, 0x02, 0x13, 0x01])), '1.3.6.1.4.1.42.2.19.1');
  assert.equal(decodeSmallInt(Buffer.from([0x03, 0x0d, 0x40])), 200000);
});

test('lengths past the container, oversized length fields and high tags are damage', () => {
  for (const bytes of [[0x30, 0x05, 1], [0x30, 0x85, 1, 1, 1, 1, 1], [0x30], [0x1f, 0x01, 0x00], [0x30, 0x84, 0xff, 0xff, 0xff, 0xff]]) {
    assert.throws(() => readTlv(Buffer.from(bytes), 0, 'k.jks', 'key'), (e: { code: string; message: string }) =>
      e.code === 'GW_ERR_STORE_CORRUPT' && e.message.includes('k.jks'));
  }
});
