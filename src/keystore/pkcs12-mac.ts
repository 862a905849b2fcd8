/**
 * PKCS#12 password integrity (RFC 7292 §4 and appendix B.2): the MAC key comes from the PKCS#12 key derivation
 * with ID 3, the MAC is an HMAC over the authenticated safe. Done with node:crypto's hashes, since JDK stores ask
 * for 10 000 SHA-256 rounds, which pure-JavaScript hashing makes slow.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const HASHES: Record<string, { name: string; u: number; v: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', u: 20, v: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', u: 28, v: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', u: 32, v: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', u: 48, v: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', u: 64, v: 128 },
};

export function macHashName(oid: string): string | undefined {
  return HASHES[oid]?.name;
}

/** The password as a BMPString with its two-byte terminator, as RFC 7292 B.1 asks. */
function bmpPassword(password: string): Buffer {
  return Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
}

/** RFC 7292 B.2 key derivation for `id` (1 key, 2 IV, 3 MAC key). */
export function pkcs12Kdf(hashOid: string, password: string, salt: Uint8Array, id: number, iterations: number, size: number): Buffer {
  const h = HASHES[hashOid];
  if (!h) throw new Error(`unknown hash ${hashOid}`);
  const { name, u, v } = h;
  const D = Buffer.alloc(v, id);
  const fill = (src: Uint8Array): Buffer => {
    if (src.length === 0) return Buffer.alloc(0);
    const len = v * Math.ceil(src.length / v);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(bmpPassword(password))]);
  const out = Buffer.alloc(size);
  for (let done = 0; done < size; done += u) {
    let A = createHash(name).update(D).update(I).digest();
    for (let i = 1; i < iterations; i++) A = createHash(name).update(A).digest();
    A.copy(out, done, 0, Math.min(u, size - done));
    if (done + u >= size) break;
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block of I.
    const B = fill(A).subarray(0, v);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >>> 8;
      }
    }
  }
  return out;
}

export function verifyPkcs12Mac(hashOid: string, password: string, salt: Uint8Array, iterations: number,
  data: Uint8Array, expected: Uint8Array): boolean {
  const h = HASHES[hashOid];
  if (!h) throw new Error(`unknown hash ${hashOid}`);
  const key = pkcs12Kdf(hashOid, password, salt, 3, iterations, h.u);
  const mac = createHmac(h.name, key).update(data).digest();
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}
