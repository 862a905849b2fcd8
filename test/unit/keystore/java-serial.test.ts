import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skipSerializedObject } from '../../../src/keystore/java-serial.js';
import { ByteReader } from '../../../src/keystore/reader.js';
import { storeBytes } from '../../helpers/keytool.js';

test('the sealed secret key in a keytool JCEKS store is stepped over exactly', () => {
  const b = storeBytes('gateway.jceks');
  const start = b.indexOf(Buffer.from([0xac, 0xed, 0x00, 0x05]));
  const r = new ByteReader(b, 'gateway.jceks', 'test');
  r.offset = start;
  const skipped = skipSerializedObject(r, 'session');
  assert.equal(skipped.className, 'com.sun.crypto.provider.SealedObjectForKeyProtector');
  // What follows is the next entry's tag (1, 2 or 3) or the 20-byte trailer.
  assert.ok(r.remaining === 20 || [1, 2, 3].includes(b.readUInt32BE(r.offset)));
});

test('strings, arrays and back-references are walked; damage is reported with codes', () => {
  const str = Buffer.from([0xac, 0xed, 0, 5, 0x74, 0, 2, 0x68, 0x69, 0xff]);
  const r = new ByteReader(str, 'f', 't');
  skipSerializedObject(r, 'a');
  assert.equal(r.offset, 9);
  const bad = (bytes: number[], code: string) =>
    assert.throws(() => skipSerializedObject(new ByteReader(Buffer.from(bytes), 'f.jceks', 't'), 'a'), (e: { code: string; message: string }) =>
      e.code === code && e.message.includes('f.jceks') && e.message.includes('"a"'));
  bad([0xac, 0xed, 0, 6, 0x70], 'GW_ERR_STORE_UNSUPPORTED');
  bad([0x12, 0x34, 0, 5, 0x70], 'GW_ERR_STORE_CORRUPT');
  bad([0xac, 0xed, 0, 5, 0x71, 0, 0x7e, 0, 9], 'GW_ERR_STORE_CORRUPT');
  bad([0xac, 0xed, 0, 5, 0x01], 'GW_ERR_STORE_CORRUPT');
  bad([0xac, 0xed, 0, 5, 0x74, 0xff, 0xff, 1], 'GW_ERR_STORE_CORRUPT');
  // An array of arrays of arrays … nests past the limit.
  bad([0xac, 0xed, 0, 5, ...Array(200).fill(0x75)], 'GW_ERR_STORE_CORRUPT');
});
