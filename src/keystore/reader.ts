/**
 * A bounds-checked big-endian reader for Java's DataOutputStream layout (JKS/JCEKS containers, Java
 * serialization). Every read checks the remaining length first, so a damaged length field yields a
 * GW_ERR_STORE_CORRUPT error instead of a huge allocation or a read past the end.
 */
import { corrupt } from './fail.js';

export class ByteReader {
  offset = 0;

  constructor(readonly bytes: Uint8Array, readonly fileName: string, readonly what: string) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  need(n: number, field: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining) {
      throw corrupt(this.fileName, `${this.what}: ${field} needs ${n} bytes at offset ${this.offset} but ${this.remaining} remain`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.offset++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.bytes;
    const v = (b[this.offset]! << 8) | b[this.offset + 1]!;
    this.offset += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset += 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  /** A signed 32-bit value (Java int). */
  i32(field: string): number {
    return this.u32(field) | 0;
  }

  u64(field: string): bigint {
    const hi = this.u32(field);
    const lo = this.u32(field);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.offset += n;
  }

  /** Java's writeUTF: u16 length, then modified UTF-8 (NUL as C0 80, supplementary characters as surrogate pairs). */
  utf(field: string): string {
    const len = this.u16(field);
    return decodeModifiedUtf8(this.take(len, field), this.fileName, field);
  }
}

export function decodeModifiedUtf8(b: Uint8Array, fileName: string, field: string): string {
  const units: number[] = [];
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      units.push(c);
      i += 1;
    } else if ((c & 0xe0) === 0xc0 && i + 1 < b.length) {
      units.push(((c & 0x1f) << 6) | (b[i + 1]! & 0x3f));
      i += 2;
    } else if ((c & 0xf0) === 0xe0 && i + 2 < b.length) {
      units.push(((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f));
      i += 3;
    } else {
      throw corrupt(fileName, `${field} is not valid modified UTF-8 (byte 0x${c.toString(16)} at ${i})`);
    }
  }
  // Surrogate pairs are stored as two 3-byte units; String.fromCharCode joins them back.
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}
