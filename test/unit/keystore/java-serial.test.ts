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

/** A serialized-object writer, enough to build the crafted streams below. */
function stream(build: (w: { u8(...b: number[]): void; u16(v: number): void; u32(v: number): void; utf(s: string): void }) => void): Buffer {
  const parts: Buffer[] = [Buffer.from([0xac, 0xed, 0, 5])];
  const w = {
    u8: (...b: number[]) => parts.push(Buffer.from(b)),
    u16: (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); parts.push(b); },
    u32: (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v); parts.push(b); },
    utf: (s: string) => { w.u16(Buffer.byteLength(s)); parts.push(Buffer.from(s)); },
  };
  build(w);
  return Buffer.concat(parts);
}

/**
 * An object of class T whose class annotation declares classes D1 … Dn, each the superclass of the next, and then
 * `objects` objects of Dn: every one of them has n classes' data to walk.
 */
function hierarchy(n: number, objects: number): Buffer {
  return stream((w) => {
    w.u8(0x73, 0x72); w.utf('T'); w.u8(0, 0, 0, 0, 0, 0, 0, 0, 0x02); w.u16(0); // handle 0
    for (let i = 1; i <= n; i++) {
      w.u8(0x72); w.utf(`D${i}`); w.u8(0, 0, 0, 0, 0, 0, 0, 0, 0x02); w.u16(0); w.u8(0x78);
      if (i === 1) w.u8(0x70);
      else { w.u8(0x71); w.u32(0x7e0000 + i - 1); }
    }
    for (let j = 0; j < objects; j++) { w.u8(0x73, 0x71); w.u32(0x7e0000 + n); }
    w.u8(0x78, 0x70);
  });
}

test('a class hierarchy deeper than 64 is refused as damage, so a crafted entry cannot cost quadratic time', () => {
  const read = (bytes: Buffer) => skipSerializedObject(new ByteReader(bytes, 'k.jceks', 't'), 's');
  assert.equal(read(hierarchy(64, 100)).className, 'T');
  for (const n of [65, 20_000]) {
    assert.throws(() => read(hierarchy(n, 200)), (e: { code: string; message: string }) =>
      e.code === 'GW_ERR_STORE_CORRUPT' && e.message.includes('k.jceks') && /more than 64 superclasses/.test(e.message));
  }
});

test('more than 10 000 serialized objects in one entry are refused as damage', () => {
  const strings = (n: number) => stream((w) => {
    w.u8(0x75, 0x72); w.utf('[Ljava.lang.Object;'); w.u8(0, 0, 0, 0, 0, 0, 0, 0, 0x02); w.u16(0); w.u8(0x78, 0x70);
    w.u32(n);
    for (let i = 0; i < n; i++) w.u8(0x74, 0, 0);
  });
  const read = (bytes: Buffer) => skipSerializedObject(new ByteReader(bytes, 'k.jceks', 't'), 's');
  read(strings(9_998)); // with the array and its class: 10 000 handles
  assert.throws(() => read(strings(9_999)), (e: { code: string; message: string }) =>
    e.code === 'GW_ERR_STORE_CORRUPT' && /more than 10000 serialized objects/.test(e.message));
});
