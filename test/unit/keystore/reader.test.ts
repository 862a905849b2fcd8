import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteReader, decodeModifiedUtf8 } from '../../../src/keystore/reader.js';

test('big-endian reads and Java modified UTF-8 (NUL as C0 80, non-ASCII, surrogate pairs)', () => {
  const r = new ByteReader(Buffer.from([0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfe]), 'f', 'w');
  assert.equal(r.u16('a'), 1);
  assert.equal(r.u32('b'), 2);
  assert.equal(r.i32('c'), -2);
  assert.equal(decodeModifiedUtf8(Buffer.from([0x61, 0xc0, 0x80, 0xc3, 0xa9]), 'f', 'x'), 'a\u0000é');
  assert.equal(decodeModifiedUtf8(Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]), 'f', 'x'), '😀');
  assert.throws(() => decodeModifiedUtf8(Buffer.from([0xff]), 'f', 'x'), { code: 'GW_ERR_STORE_CORRUPT' });
});

test('reads past the end and impossible lengths are damage naming the file and field', () => {
  const r = new ByteReader(Buffer.from([0, 5, 1]), 'conf/k.jks', 'store');
  assert.throws(() => r.utf('alias'), (e: { code: string; message: string }) =>
    e.code === 'GW_ERR_STORE_CORRUPT' && e.message.includes('conf/k.jks') && e.message.includes('alias'));
  assert.throws(() => new ByteReader(Buffer.alloc(2), 'f', 'w').take(0xffffffff, 'x'), { code: 'GW_ERR_STORE_CORRUPT' });
  assert.throws(() => new ByteReader(Buffer.alloc(2), 'f', 'w').u64('x'), { code: 'GW_ERR_STORE_CORRUPT' });
});
