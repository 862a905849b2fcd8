/**
 * The few DER reads the JKS/JCEKS key protection needs (EncryptedPrivateKeyInfo and its PBE parameters), with
 * every length checked against its enclosing element so that damaged input fails cleanly.
 */
import { corrupt } from './fail.js';

export interface Tlv {
  readonly tag: number;
  /** Content bytes. */
  readonly value: Uint8Array;
  /** Offset just past this element in the buffer it was read from. */
  readonly end: number;
}

export function readTlv(buf: Uint8Array, offset: number, fileName: string, what: string): Tlv {
  const fail = (detail: string) => corrupt(fileName, `${what}: ${detail}`);
  if (offset + 2 > buf.length) throw fail('DER element ends early');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw fail('multi-byte DER tags are not expected here');
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw fail(`DER length of ${n} bytes is not supported`);
    if (pos + n > buf.length) throw fail('DER length ends early');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  if (pos + len > buf.length) throw fail(`DER element of ${len} bytes runs past the end of its container`);
  return { tag, value: buf.subarray(pos, pos + len), end: pos + len };
}

/** Reads the elements of a constructed value (SEQUENCE content). */
export function readChildren(content: Uint8Array, fileName: string, what: string): Tlv[] {
  const out: Tlv[] = [];
  let pos = 0;
  while (pos < content.length) {
    const t = readTlv(content, pos, fileName, what);
    out.push(t);
    pos = t.end;
  }
  return out;
}

export function decodeOid(value: Uint8Array): string {
  if (value.length === 0) return '';
  const parts: number[] = [Math.floor(value[0]! / 40), value[0]! % 40];
  let n = 0;
  for (let i = 1; i < value.length; i++) {
    n = n * 128 + (value[i]! & 0x7f);
    if (!(value[i]! & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

/** A non-negative INTEGER that fits a JS number (iteration counts). */
export function decodeSmallInt(value: Uint8Array): number {
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

export const TAG_SEQUENCE = 0x30;
export const TAG_OCTET_STRING = 0x04;
export const TAG_INTEGER = 0x02;
export const TAG_OID = 0x06;
